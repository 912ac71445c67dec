package dev.prefork.protocol;

import java.time.Duration;
import java.util.Map;

/**
 * The environment variables through which the master tells a worker what it is. Spring's
 * relaxed binding makes them readable as properties too, e.g. {@code prefork.worker.slot}.
 */
public final class WorkerEnvironment {

	/** {@code worker} in workers, {@code training} in an archive's training run; absent in the master. */
	public static final String ROLE = "PREFORK_ROLE";

	public static final String ROLE_WORKER = "worker";

	/** The run that trains a class-data archive: the application as plain Spring Boot. */
	public static final String ROLE_TRAINING = "training";

	/** The worker's slot, 0..workers-1. */
	public static final String SLOT = "PREFORK_WORKER_SLOT";

	/**
	 * The first option of a worker's command line, followed by its slot: what tells the
	 * workers from the master in {@code ps} (gunicorn's {@code worker [app]} process title).
	 * The same property as {@link #SLOT}.
	 */
	public static final String PROCESS_MARKER = "-Dprefork.worker.slot=";

	/** The worker's generation, incremented by every reload. */
	public static final String GENERATION = "PREFORK_WORKER_GENERATION";

	/** Milliseconds between heartbeats. */
	public static final String HEARTBEAT_INTERVAL = "PREFORK_HEARTBEAT_INTERVAL_MS";

	/** Milliseconds a worker may take to stop gracefully. */
	public static final String GRACEFUL_TIMEOUT = "PREFORK_GRACEFUL_TIMEOUT_MS";

	/** The master's pid, for log lines. */
	public static final String MASTER_PID = "PREFORK_MASTER_PID";

	/** The worker's default {@code server.tomcat.threads.max} and {@code server.jetty.threads.max}: its share of Spring Boot's 200. */
	public static final String REQUEST_THREADS = "PREFORK_REQUEST_THREADS_MAX";

	/** The paths the master recorded for the warm-up, most frequent first, one a line. */
	public static final String WARMUP_PATHS = "PREFORK_WARMUP_PATHS";

	/** {@code true} when no worker serves clients while this one starts: a short warm-up. */
	public static final String NOBODY_SERVES = "PREFORK_NOBODY_SERVES";

	private WorkerEnvironment() {
	}

	/** Writes a duration as the master does: whole milliseconds. */
	public static void putMillis(Map<String, String> environment, String name, Duration duration) {
		environment.put(name, Long.toString(duration.toMillis()));
	}

	/**
	 * This worker's {@link #HEARTBEAT_INTERVAL}, as its master wrote it.
	 * @throws IllegalStateException if the master did not (not a worker)
	 */
	public static Duration heartbeatInterval() {
		return requiredMillis(HEARTBEAT_INTERVAL);
	}

	/**
	 * This worker's {@link #GRACEFUL_TIMEOUT}, as its master wrote it ({@code prefork.graceful-timeout}).
	 * @throws IllegalStateException if the master did not (not a worker)
	 */
	public static Duration gracefulTimeout() {
		return requiredMillis(GRACEFUL_TIMEOUT);
	}

	/** Whether this process was started by a master with {@link #GRACEFUL_TIMEOUT}. */
	public static boolean hasGracefulTimeout() {
		return System.getenv(GRACEFUL_TIMEOUT) != null;
	}

	private static Duration requiredMillis(String name) {
		String value = System.getenv(name);
		if (value == null) {
			throw new IllegalStateException(name + " is not set: workers are started by the prefork master only");
		}
		return Duration.ofMillis(Long.parseLong(value));
	}

}
