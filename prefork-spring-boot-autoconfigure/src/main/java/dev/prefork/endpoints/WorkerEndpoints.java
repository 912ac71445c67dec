package dev.prefork.endpoints;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import dev.prefork.master.MasterStatus;
import dev.prefork.master.WorkerState;

import org.springframework.util.MimeTypeUtils;

/**
 * The application's own Actuator endpoints on the master's management server: every path
 * below the base path that is not one of the master's own endpoints ({@code health},
 * {@code prefork}, {@code prometheus}) is the application's, and is passed to the workers
 * ({@link ApplicationEndpoints} answers there). A read ({@code GET}, {@code HEAD}) goes to one
 * ready worker, the lowest slot of the newest generation; a write ({@code POST},
 * {@code DELETE}, e.g. a logger's level) goes to every ready worker, and is answered with the
 * lowest slot's answer when all answered with the same status, 502 with each worker's status
 * otherwise. The {@value #WORKER_HEADER} request header picks one worker by slot for either;
 * the same response header names the slots that answered.
 */
public final class WorkerEndpoints {

	/** Request: the slot of the worker to ask. Response: the slots that answered, comma separated. */
	public static final String WORKER_HEADER = "Prefork-Worker";

	/** How long the master waits for a worker's answer: a reactive operation's own limit, and some. */
	static final Duration TIMEOUT = ApplicationEndpoints.TIMEOUT.plusSeconds(5);

	/** The methods of a read, which one worker answers, without a body. */
	public static final Set<String> READS = Set.of("GET", "HEAD");

	/** The methods of Actuator's operations (and HEAD), the only ones passed on. */
	static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "DELETE");

	/**
	 * The most calls passed on at once: each holds one of the master's few request threads
	 * while it waits, and probes and scrapes must find one free.
	 */
	static final int MAX_CONCURRENT_CALLS = 2;

	private final Semaphore calls = new Semaphore(MAX_CONCURRENT_CALLS);

	private final Supplier<MasterStatus> status;

	private final BiFunction<Long, String, CompletableFuture<byte[]>> ask;

	private final String basePath;

	private final Supplier<Set<String>> masterPaths;

	private final Duration timeout;

	/**
	 * @param status the master's status
	 * @param ask sends the worker with a pid an encoded {@link EndpointCall}, for its encoded
	 * {@link EndpointReply}
	 * @param basePath the management base path as requests are routed, e.g. {@code /actuator},
	 * or empty
	 * @param masterPaths the root paths of the master's own exposed endpoints, e.g.
	 * {@code health}
	 */
	public WorkerEndpoints(Supplier<MasterStatus> status, BiFunction<Long, String, CompletableFuture<byte[]>> ask,
			String basePath, Supplier<Set<String>> masterPaths) {
		this(status, ask, basePath, masterPaths, TIMEOUT);
	}

	WorkerEndpoints(Supplier<MasterStatus> status, BiFunction<Long, String, CompletableFuture<byte[]>> ask,
			String basePath, Supplier<Set<String>> masterPaths, Duration timeout) {
		this.status = status;
		this.ask = ask;
		this.basePath = basePath.endsWith("/") ? basePath.substring(0, basePath.length() - 1) : basePath;
		this.masterPaths = masterPaths;
		this.timeout = timeout;
	}

	/**
	 * The path below the base path if the request is for one of the application's endpoints,
	 * {@code null} if it is the master's (its own endpoints, the links at the base path) or
	 * not below the base path.
	 * @param path the request's path as the web stack routes it (decoded, dot segments resolved)
	 */
	public String applicationPath(String path) {
		path = path.replaceAll("/{2,}", "/");
		if (!path.startsWith(this.basePath + "/")) {
			return null;
		}
		String below = path.substring(this.basePath.length() + 1);
		if (below.isEmpty()) {
			return null;
		}
		String root = below.split("/", 2)[0];
		return this.masterPaths.get().contains(root) ? null : below;
	}

	/**
	 * Passes a call to the workers and waits for their answers, at most the timeout.
	 * @param call the call
	 * @param worker the {@value #WORKER_HEADER} request header, or {@code null}
	 * @return the answer to send, with the slots that answered
	 */
	public Forwarded call(EndpointCall call, String worker) {
		if (!METHODS.contains(call.method())) {
			return Forwarded.none(EndpointReply.message(405, call.method()
					+ " is not an Actuator operation's method (GET, POST, DELETE)"));
		}
		if (!this.calls.tryAcquire()) {
			return Forwarded.none(EndpointReply.message(503, "the master is already passing " + MAX_CONCURRENT_CALLS
					+ " calls to the application's endpoints; try again when they are answered"));
		}
		try {
			return callWorkers(call, worker);
		}
		finally {
			this.calls.release();
		}
	}

	private Forwarded callWorkers(EndpointCall call, String worker) {
		List<MasterStatus.WorkerStatus> ready = this.status.get()
			.workers()
			.stream()
			.filter((w) -> w.state() == WorkerState.READY)
			.sorted(Comparator.comparingInt(MasterStatus.WorkerStatus::generation)
				.reversed()
				.thenComparingInt(MasterStatus.WorkerStatus::slot))
			.toList();
		if (ready.isEmpty()) {
			return Forwarded.none(EndpointReply.message(503, "no worker is ready to answer for the application"));
		}
		List<MasterStatus.WorkerStatus> targets;
		if (worker != null) {
			int slot;
			try {
				slot = Integer.parseInt(worker.trim());
			}
			catch (NumberFormatException ex) {
				return Forwarded.none(EndpointReply.message(400, WORKER_HEADER + " must be a worker's slot, not " + worker));
			}
			targets = ready.stream().filter((w) -> w.slot() == slot).limit(1).toList();
			if (targets.isEmpty()) {
				return Forwarded.none(EndpointReply.message(404, "no ready worker in slot " + slot + "; ready: "
						+ ready.stream().map((w) -> String.valueOf(w.slot())).distinct().collect(Collectors.joining(", "))));
			}
		}
		else {
			targets = READS.contains(call.method()) ? ready.subList(0, 1) : ready;
		}
		String encoded = call.encode();
		Map<MasterStatus.WorkerStatus, CompletableFuture<byte[]>> pending = new LinkedHashMap<>();
		targets.forEach((w) -> pending.put(w, this.ask.apply(w.pid(), encoded)));
		long deadline = System.nanoTime() + this.timeout.toNanos();
		Map<Integer, EndpointReply> replies = new LinkedHashMap<>();
		pending.forEach((w, answer) -> replies.put(w.slot(), reply(w, answer, deadline)));
		return combined(replies);
	}

	private EndpointReply reply(MasterStatus.WorkerStatus worker, CompletableFuture<byte[]> answer, long deadline) {
		try {
			return EndpointReply.decode(answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
		}
		catch (TimeoutException ex) {
			answer.cancel(false);
			return EndpointReply.message(504, "worker " + worker.slot() + " (pid " + worker.pid()
					+ ") did not answer within " + this.timeout.toSeconds() + " s");
		}
		catch (ExecutionException ex) {
			return EndpointReply.message(502, "cannot ask worker " + worker.slot() + " (pid " + worker.pid() + "): "
					+ ex.getCause().getMessage());
		}
		catch (IllegalArgumentException ex) {
			return EndpointReply.message(502, "worker " + worker.slot() + " (pid " + worker.pid()
					+ ") answered malformed: " + ex.getMessage());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			answer.cancel(false);
			return EndpointReply.message(503, "interrupted");
		}
	}

	/** One answer, or all workers' when they agree on the status, or each worker's status. */
	static Forwarded combined(Map<Integer, EndpointReply> replies) {
		List<Integer> slots = new ArrayList<>(replies.keySet());
		EndpointReply first = replies.values().iterator().next();
		if (replies.values().stream().allMatch((r) -> r.status() == first.status())) {
			return new Forwarded(first, slots);
		}
		Map<String, Object> workers = new LinkedHashMap<>();
		replies.forEach((slot, reply) -> {
			Map<String, Object> shown = new LinkedHashMap<>();
			shown.put("status", reply.status());
			if (reply.contentType().startsWith("application/json") || reply.contentType().startsWith("text/")) {
				String text = new String(reply.body(), StandardCharsets.UTF_8);
				shown.put("body", (text.length() > 1000) ? text.substring(0, 1000) + "..." : text);
			}
			workers.put(String.valueOf(slot), shown);
		});
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("message", "the workers answered with different statuses: "
				+ replies.entrySet().stream().map((e) -> e.getKey() + ": " + e.getValue().status()).collect(Collectors.joining(", ")));
		json.put("workers", workers);
		return new Forwarded(EndpointReply.json(502, json), slots);
	}

	/**
	 * What the master answers.
	 * @param reply the answer
	 * @param slots the slots of the workers that were asked, for the {@value #WORKER_HEADER}
	 * response header; empty if none was
	 */
	public record Forwarded(EndpointReply reply, List<Integer> slots) {

		static Forwarded none(EndpointReply reply) {
			return new Forwarded(reply, List.of());
		}

		public String slotsHeader() {
			return this.slots.stream().map(String::valueOf).collect(Collectors.joining(","));
		}

		/**
		 * The response headers: the slots that answered, the worker's content type if it is
		 * one, and what keeps a browser from running an answer as a page of the master's
		 * origin (a worker is the user's code).
		 */
		public Map<String, String> headers() {
			Map<String, String> headers = new LinkedHashMap<>();
			if (!this.slots.isEmpty()) {
				headers.put(WORKER_HEADER, slotsHeader());
			}
			if (hasBody()) {
				headers.put("Content-Type", safeContentType(this.reply.contentType()));
			}
			headers.put("X-Content-Type-Options", "nosniff");
			headers.put("Content-Security-Policy", "sandbox");
			headers.put("Cache-Control", "no-store");
			return headers;
		}

		/** Whether the answer has a body to send: none with 204 or 304. */
		public boolean hasBody() {
			return this.reply.status() != 204 && this.reply.status() != 304;
		}

		private static String safeContentType(String type) {
			try {
				return MimeTypeUtils.parseMimeType(type).toString();
			}
			catch (RuntimeException ex) {
				return "application/octet-stream";
			}
		}

	}

}
