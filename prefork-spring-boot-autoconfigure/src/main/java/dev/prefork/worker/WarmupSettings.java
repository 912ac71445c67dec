package dev.prefork.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * {@code prefork.warmup.*}: the requests a new worker serves to itself before it takes
 * clients. Read by each worker (and training run) from its own configuration, so a reload
 * applies a change; validated by the master at start and on every reload.
 */
public class WarmupSettings {

	/** Methods the warm-up client can send. */
	static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

	/**
	 * Whether a new worker serves warm-up requests to itself, on a private loopback
	 * connector, before it tells the master it is ready.
	 */
	private boolean enabled = true;

	/**
	 * Warm-up requests, sent in turn. Without any (and nothing recorded yet), GET /.
	 */
	private List<Request> requests = new ArrayList<>();

	/**
	 * Whether workers report the paths of the GET requests they answered with 2xx (paths
	 * only: no query string, no header), so that new workers also warm up with the most
	 * frequent ones.
	 */
	private boolean record = true;

	/**
	 * Longest a warm-up may take; it ends earlier once the application's CPU time per
	 * request stops falling. Not counted in prefork.boot-timeout, which is the application's
	 * start.
	 */
	private Duration duration = Duration.ofSeconds(30);

	/**
	 * Longest warm-up of a worker started while no worker serves (the first start, or all
	 * workers gone): clients are waiting for it, so it warms up only what is slow the first
	 * time (class loading, lazy initialization) and the JIT finishes under load.
	 */
	private Duration startDuration = Duration.ofSeconds(5);

	/**
	 * Most warm-up requests a worker sends.
	 */
	private int maxRequests = 100_000;

	/**
	 * Warm-up requests in flight at once.
	 */
	private int concurrency = 2;

	public static WarmupSettings of(Environment environment) {
		return Binder.get(environment).bind("prefork.warmup", WarmupSettings.class).orElseGet(WarmupSettings::new);
	}

	/** What is wrong with these settings, or null. */
	public Problem problem() {
		if (this.duration == null || this.duration.isNegative() || this.duration.isZero()) {
			return new Problem("prefork.warmup.duration", this.duration, "must be positive, such as 30s");
		}
		if (this.startDuration == null || this.startDuration.isNegative() || this.startDuration.isZero()) {
			return new Problem("prefork.warmup.start-duration", this.startDuration, "must be positive, such as 5s");
		}
		if (this.maxRequests < 1) {
			return new Problem("prefork.warmup.max-requests", this.maxRequests, "must be at least 1");
		}
		if (this.concurrency < 1 || this.concurrency > 64) {
			return new Problem("prefork.warmup.concurrency", this.concurrency, "must be between 1 and 64");
		}
		for (int i = 0; i < this.requests.size(); i++) {
			Problem problem = this.requests.get(i).problem("prefork.warmup.requests[" + i + "]");
			if (problem != null) {
				return problem;
			}
		}
		return null;
	}

	/**
	 * A setting that is wrong.
	 * @param name the property, such as {@code prefork.warmup.requests[0].method}
	 * @param value its value
	 * @param reason what it must be
	 */
	public record Problem(String name, Object value, String reason) {

		@Override
		public String toString() {
			return this.name + " " + this.reason + ", got " + this.value;
		}

	}

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public List<Request> getRequests() {
		return this.requests;
	}

	public void setRequests(List<Request> requests) {
		this.requests = requests;
	}

	public boolean isRecord() {
		return this.record;
	}

	public void setRecord(boolean record) {
		this.record = record;
	}

	public Duration getDuration() {
		return this.duration;
	}

	public void setDuration(Duration duration) {
		this.duration = duration;
	}

	public Duration getStartDuration() {
		return this.startDuration;
	}

	public void setStartDuration(Duration startDuration) {
		this.startDuration = startDuration;
	}

	/** How long this warm-up may take: the shorter start-duration when clients wait for it. */
	Duration limit(boolean nobodyServes) {
		return (nobodyServes && this.startDuration.compareTo(this.duration) < 0) ? this.startDuration : this.duration;
	}

	public int getMaxRequests() {
		return this.maxRequests;
	}

	public void setMaxRequests(int maxRequests) {
		this.maxRequests = maxRequests;
	}

	public int getConcurrency() {
		return this.concurrency;
	}

	public void setConcurrency(int concurrency) {
		this.concurrency = concurrency;
	}

	/** One warm-up request. */
	public static class Request {

		/**
		 * HTTP method: GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS.
		 */
		private String method = "GET";

		/**
		 * Path and query, such as /products?page=1.
		 */
		private String path;

		/**
		 * Request headers.
		 */
		private Map<String, String> headers = new LinkedHashMap<>();

		/**
		 * Request body, for POST, PUT and PATCH.
		 */
		private String body;

		public Request() {
		}

		Request(String method, String path) {
			this.method = method;
			this.path = path;
		}

		Problem problem(String name) {
			if (this.path == null || !this.path.startsWith("/")) {
				return new Problem(name + ".path", this.path, "must start with /");
			}
			if (this.method == null || !METHODS.contains(this.method.toUpperCase(Locale.ROOT))) {
				return new Problem(name + ".method", this.method, "must be one of " + String.join(", ", METHODS));
			}
			for (String header : this.headers.keySet()) {
				if (!header.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
					return new Problem(name + ".headers", header, "must be header names");
				}
			}
			return null;
		}

		public String getMethod() {
			return this.method;
		}

		public void setMethod(String method) {
			this.method = method;
		}

		public String getPath() {
			return this.path;
		}

		public void setPath(String path) {
			this.path = path;
		}

		public Map<String, String> getHeaders() {
			return this.headers;
		}

		public void setHeaders(Map<String, String> headers) {
			this.headers = headers;
		}

		public String getBody() {
			return this.body;
		}

		public void setBody(String body) {
			this.body = body;
		}

		@Override
		public String toString() {
			return this.method.toUpperCase(Locale.ROOT) + " " + this.path;
		}

	}

}
