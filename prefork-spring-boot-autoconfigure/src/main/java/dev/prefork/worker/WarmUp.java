package dev.prefork.worker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.HttpURLConnection;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.Proxy;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Sends warm-up requests to this JVM's own web server until the JIT has compiled the request
 * path: at most {@code duration} and {@code maxRequests}, and no longer than it takes the
 * CPU time per request to stop falling ({@link SteadyCost}). A plain blocking client ({@link HttpURLConnection}, never
 * through a proxy, no redirects followed) keeps the client's own share of the CPU small.
 */
final class WarmUp {

	private static final Log logger = LogFactory.getLog(WarmUp.class);

	/** Throughput is sampled once a slice. */
	static final Duration SLICE = Duration.ofMillis(500);

	/** Requests after which a warm-up that got nothing but 5xx or errors gives up. */
	static final int GIVE_UP_AFTER = 100;

	private final String baseUrl;

	private final List<WarmupSettings.Request> requests;

	private final Map<String, String> extraHeaders;

	/** The client for PATCH requests, made at the first one. */
	private PatchClient patchClient;

	private final WarmupSettings settings;

	private final Duration limit;

	/** The CPU time the application spent on warm-up requests so far. */
	private final LongSupplier applicationCpu;

	/** The time this JVM's JIT compilers spent compiling so far, in ms; -1 where the JVM does not tell. */
	private final LongSupplier compilerMillis;

	private final AtomicLong sent = new AtomicLong();

	private final LongAdder answered = new LongAdder();

	private final LongAdder clientErrors = new LongAdder();

	private final LongAdder serverErrors = new LongAdder();

	private final LongAdder failed = new LongAdder();

	private final AtomicBoolean stop = new AtomicBoolean();

	private volatile String firstError;

	/**
	 * @param baseUrl such as {@code http://127.0.0.1:41234}
	 * @param requests the requests to send in turn; not empty
	 * @param extraHeaders sent with every request (the private connector's key)
	 */
	WarmUp(String baseUrl, List<WarmupSettings.Request> requests, Map<String, String> extraHeaders,
			WarmupSettings settings, Duration limit, LongSupplier applicationCpu, LongSupplier compilerMillis) {
		this.limit = limit;
		this.applicationCpu = applicationCpu;
		this.compilerMillis = compilerMillis;
		this.baseUrl = baseUrl;
		this.requests = List.copyOf(requests);
		this.extraHeaders = extraHeaders;
		this.settings = settings;
	}

	/** What a warm-up did. */
	record Result(long requests, long answered, long clientErrors, long serverErrors, long failed, Duration took,
			String endedBecause, String firstError) {

		/** Not one request got an answer below 500: the application is broken, not cold. */
		boolean onlyFailures() {
			return this.requests > 0 && this.answered == 0 && this.clientErrors == 0;
		}

		long errors() {
			return this.clientErrors + this.serverErrors + this.failed;
		}

		/** Most answers were 4xx: the warm-up asked for what the application does not serve and exercised little. */
		boolean mostlyClientErrors() {
			return this.requests > 0 && this.clientErrors * 2 > this.requests;
		}

		@Override
		public String toString() {
			return String.format(Locale.ROOT, "%d requests in %.1f s (%s): %d 2xx/3xx, %d 4xx, %d 5xx, %d failed%s",
					this.requests, this.took.toMillis() / 1000.0, this.endedBecause, this.answered, this.clientErrors,
					this.serverErrors, this.failed, (this.firstError != null) ? "; first error: " + this.firstError : "");
		}

	}

	/**
	 * Warms up a running server through its {@link WorkerServer.WarmupConnector}, closed again
	 * before this returns.
	 * @param recorded the paths the master recorded, one a line, or null
	 * @return what the warm-up did
	 */
	static Result through(WorkerServer server, WarmupSettings settings, String recorded, Duration limit)
			throws InterruptedException {
		try (WorkerServer.WarmupConnector connector = server.openWarmupConnector()) {
			LongSupplier cpu = (connector.applicationCpuNanos() >= 0) ? connector::applicationCpuNanos : WarmUp::processCpuNanos;
			return new WarmUp(connector.baseUrl(), requests(settings, recorded), connector.keyHeader(), settings, limit,
					cpu, WarmUp::compilerMillis)
				.run();
		}
	}

	/** The configured requests, then a GET for each recorded path not among them; GET / when there is none. */
	static List<WarmupSettings.Request> requests(WarmupSettings settings, String recorded) {
		List<WarmupSettings.Request> requests = new ArrayList<>(settings.getRequests());
		if (settings.isRecord() && recorded != null) {
			Set<String> configured = new HashSet<>();
			requests.forEach((request) -> configured.add(request.getPath()));
			for (String path : recorded.split("\n")) {
				if (ServedPaths.isRecordable(path) && configured.add(path)) {
					requests.add(new WarmupSettings.Request("GET", path));
				}
			}
		}
		if (requests.isEmpty()) {
			requests.add(new WarmupSettings.Request("GET", "/"));
		}
		return requests;
	}

	Result run() throws InterruptedException {
		long started = System.nanoTime();
		long deadline = started + this.limit.toNanos();
		List<Thread> threads = new ArrayList<>();
		for (int i = 0; i < this.settings.getConcurrency(); i++) {
			Thread thread = new Thread(this::sendUntilStopped, "prefork-warmup-" + i);
			thread.setDaemon(true);
			thread.start();
			threads.add(thread);
		}
		SteadyCost steady = new SteadyCost();
		QuietCompiler compiler = new QuietCompiler();
		String endedBecause = null;
		long done = 0;
		long cpu = this.applicationCpu.getAsLong();
		long compiling = this.compilerMillis.getAsLong();
		while (endedBecause == null) {
			Thread.sleep(SLICE.toMillis());
			long now = done();
			long cpuNow = this.applicationCpu.getAsLong();
			long compilingNow = this.compilerMillis.getAsLong();
			long total = this.sent.get();
			if (logger.isDebugEnabled()) {
				logger.debug("Warm-up slice: " + (now - done) + " requests, " + (cpuNow - cpu) / 1_000_000 + " ms CPU, "
						+ (compilingNow - compiling) + " ms compiling");
			}
			boolean quiet = compiler.add((compiling >= 0) ? compilingNow - compiling : -1);
			if (total >= GIVE_UP_AFTER && this.answered.sum() + this.clientErrors.sum() == 0) {
				endedBecause = "no request succeeded";
			}
			else if (total >= this.settings.getMaxRequests()) {
				endedBecause = "prefork.warmup.max-requests reached";
			}
			else if (System.nanoTime() >= deadline) {
				endedBecause = this.limit.toMillis() / 1000.0 + " s limit reached";
			}
			else if (steady.add(now - done, cpuNow - cpu) && quiet) {
				endedBecause = (compiling >= 0)
						? "warm: the application's CPU time per request is steady and the JIT compiler is quiet"
						: "warm: the application's CPU time per request is steady";
			}
			else if (threads.stream().noneMatch(Thread::isAlive)) {
				endedBecause = "all requests sent";
			}
			done = now;
			cpu = cpuNow;
			compiling = compilingNow;
		}
		this.stop.set(true);
		for (Thread thread : threads) {
			thread.join(10_000);
		}
		return new Result(done(), this.answered.sum(), this.clientErrors.sum(), this.serverErrors.sum(),
				this.failed.sum(), Duration.ofNanos(System.nanoTime() - started), endedBecause, this.firstError);
	}

	/** This JVM's CPU time, all threads; -1 where the JVM does not tell. */
	private static long processCpuNanos() {
		return (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
				? os.getProcessCpuTime() : -1;
	}

	/** The time this JVM's JIT compilers spent so far, all threads; -1 where the JVM does not tell. */
	private static long compilerMillis() {
		CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
		return (jit != null && jit.isCompilationTimeMonitoringSupported()) ? jit.getTotalCompilationTime() : -1;
	}

	private long done() {
		return this.answered.sum() + this.clientErrors.sum() + this.serverErrors.sum() + this.failed.sum();
	}

	private void sendUntilStopped() {
		while (!this.stop.get()) {
			long index = this.sent.getAndIncrement();
			if (index >= this.settings.getMaxRequests()) {
				return;
			}
			send(this.requests.get((int) (index % this.requests.size())));
		}
	}

	private void send(WarmupSettings.Request request) {
		try {
			int status = request.getMethod().equalsIgnoreCase("PATCH") ? patch(request) : connect(request);
			if (status >= 500) {
				this.serverErrors.increment();
				noteError(request + ": " + status);
			}
			else if (status >= 400) {
				this.clientErrors.increment();
				noteError(request + ": " + status);
			}
			else {
				this.answered.increment();
			}
		}
		catch (IOException | RuntimeException ex) {
			this.failed.increment();
			noteError(request + ": " + ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			this.failed.increment();
		}
	}

	private int connect(WarmupSettings.Request request) throws IOException {
		HttpURLConnection connection = null;
		try {
			connection = (HttpURLConnection) URI.create(this.baseUrl + request.getPath()).toURL().openConnection(Proxy.NO_PROXY);
			connection.setInstanceFollowRedirects(false);
			connection.setUseCaches(false);
			connection.setConnectTimeout(5_000);
			connection.setReadTimeout(30_000);
			connection.setRequestMethod(request.getMethod().toUpperCase(Locale.ROOT));
			request.getHeaders().forEach(connection::setRequestProperty);
			this.extraHeaders.forEach(connection::setRequestProperty);
			if (request.getBody() != null) {
				connection.setDoOutput(true);
				try (OutputStream out = connection.getOutputStream()) {
					out.write(request.getBody().getBytes(StandardCharsets.UTF_8));
				}
			}
			int status = connection.getResponseCode();
			drain((status >= 400) ? connection.getErrorStream() : connection.getInputStream());
			return status;
		}
		catch (IOException | RuntimeException ex) {
			if (connection != null) {
				connection.disconnect();
			}
			throw ex;
		}
	}

	/** A PATCH, which {@link HttpURLConnection} cannot send: through the JDK's HTTP client. */
	private int patch(WarmupSettings.Request request) throws IOException, InterruptedException {
		PatchClient client;
		synchronized (this) {
			if (this.patchClient == null) {
				this.patchClient = new PatchClient();
			}
			client = this.patchClient;
		}
		return client.send(this.baseUrl, request, this.extraHeaders);
	}

	/**
	 * The JDK's {@link HttpClient}, apart: made at the first PATCH, and never loaded without
	 * one (a runtime image without {@code java.net.http} warms up all other methods).
	 */
	private static final class PatchClient {

		private final HttpClient client = HttpClient.newBuilder()
			.version(HttpClient.Version.HTTP_1_1)
			.proxy(HttpClient.Builder.NO_PROXY)
			.followRedirects(HttpClient.Redirect.NEVER)
			.connectTimeout(Duration.ofSeconds(5))
			.build();

		int send(String baseUrl, WarmupSettings.Request request, Map<String, String> extraHeaders)
				throws IOException, InterruptedException {
			HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + request.getPath()))
				.timeout(Duration.ofSeconds(30))
				.method("PATCH", (request.getBody() != null) ? HttpRequest.BodyPublishers.ofString(request.getBody())
						: HttpRequest.BodyPublishers.noBody());
			request.getHeaders().forEach(builder::header);
			extraHeaders.forEach(builder::header);
			return this.client.send(builder.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
		}

	}

	private void noteError(String error) {
		if (this.firstError == null) {
			this.firstError = error;
		}
	}

	/** Reads the body to its end, so the connection is kept alive for the next request. */
	private static void drain(InputStream body) throws IOException {
		if (body != null) {
			try (body) {
				body.transferTo(OutputStream.nullOutputStream());
			}
		}
	}

	/**
	 * Tells when the request path is warm: when the CPU time the request threads spend in the
	 * application per warm-up request (measured around it, so without the warm-up client or
	 * the JIT compiler threads) has stopped falling. Unlike
	 * throughput, it does not depend on how much of the machine the worker gets: on a busy
	 * host a reload's new worker gets a small share, and its throughput flattens long
	 * before it is warm. The JIT compiles in steps, so a short flat stretch is not the end:
	 * after at least {@link #MIN_SLICES} slices, {@link #FLAT_SLICES} slices in a row must
	 * not cost less than {@link #BETTER} of the best slice before them.
	 */
	static final class SteadyCost {

		static final int MIN_SLICES = 6;

		static final int FLAT_SLICES = 8;

		static final double BETTER = 0.95;

		/** A slice with fewer requests says too little to count. */
		static final long MIN_REQUESTS = 10;

		private double best = Double.MAX_VALUE;

		private int slices;

		private int flat;

		/** Adds one slice: its requests and the CPU time spent; true once the cost is steady. */
		boolean add(long requests, long cpuNanos) {
			this.slices++;
			if (requests < MIN_REQUESTS || cpuNanos <= 0) {
				this.flat = 0;
				return false;
			}
			double cost = (double) cpuNanos / requests;
			if (cost < this.best * BETTER) {
				this.flat = 0;
			}
			else {
				this.flat++;
			}
			this.best = Math.min(this.best, cost);
			return this.slices >= MIN_SLICES && this.flat >= FLAT_SLICES;
		}

	}

	/**
	 * Tells when the JIT compilers have caught up with what the warm-up runs: the time they spent
	 * compiling (all compiler threads) stays below {@link #QUIET_MILLIS} a slice, 5 % of one
	 * processor, for {@link #QUIET_SLICES} slices in a row. On the sample it falls from 500-900 ms
	 * a slice to 0-25 ms, with lone bursts above, as the request path is compiled. The CPU time per request can flatten while methods of the request path still wait in
	 * the compile queue (a cheap request's cost is mostly the web server's own, compiled first);
	 * a worker that takes clients then runs slower for the tens of seconds the queue takes.
	 * Without the JVM's compilation time ({@code -1}), it is always quiet.
	 */
	static final class QuietCompiler {

		static final int QUIET_SLICES = 4;

		static final long QUIET_MILLIS = 25;

		private int quiet;

		/** Adds one slice's compilation time in ms (-1: unknown); true once the compilers are quiet. */
		boolean add(long compileMillis) {
			if (compileMillis < 0) {
				return true;
			}
			this.quiet = (compileMillis < QUIET_MILLIS) ? this.quiet + 1 : 0;
			return this.quiet >= QUIET_SLICES;
		}

	}

}
