package dev.prefork.master;

import java.time.Duration;
import java.util.List;

/**
 * The master's configuration, already validated. A reload replaces it whole.
 *
 * @param workers how many workers to keep running
 * @param maxWorkers the most workers scaling may ask for
 * @param timeout a ready worker silent for longer than this is killed
 * @param gracefulTimeout how long a graceful stop may take before workers are killed
 * @param bootTimeout how long a worker may take to become ready
 * @param maxRequests requests after which a worker is recycled, 0 for never
 * @param maxRequestsJitter up to this many requests more, drawn per worker, so workers do
 * not all recycle at once
 * @param reloadStrategy how a reload replaces the workers
 * @param workerJvmArgs extra JVM options for workers
 * @param listen where workers serve
 */
public record MasterSettings(int workers, int maxWorkers, Duration timeout, Duration gracefulTimeout,
		Duration bootTimeout, long maxRequests, long maxRequestsJitter, ReloadStrategy reloadStrategy,
		List<String> workerJvmArgs, ListenAddress listen) {

	/** How long a quick stop waits for workers before killing them. */
	static final Duration QUICK_STOP_TIMEOUT = Duration.ofSeconds(5);

	/** How long a hung worker has after SIGQUIT to write its thread dump before SIGKILL. */
	static final Duration THREAD_DUMP_GRACE = Duration.ofSeconds(3);

	/** How long the master waits for killed workers to be reaped before it gives up on them. */
	static final Duration REAP_GRACE = Duration.ofSeconds(10);

	/** Upper bound of the delay before respawning a slot whose workers keep crashing. */
	static final Duration MAX_RESPAWN_BACKOFF = Duration.ofSeconds(30);

	/** A worker ready for this long resets its slot's crash count. */
	static final Duration STABLE_AFTER = Duration.ofSeconds(60);

	/** How long a worker whose recycling failed keeps serving before the next try. */
	static final Duration RECYCLE_RETRY = Duration.ofSeconds(60);

	/** Settings with defaults for everything but the worker count and the timeouts. */
	public static MasterSettings of(int workers, Duration timeout, Duration gracefulTimeout, Duration bootTimeout) {
		return new MasterSettings(workers, Math.max(64, workers), timeout, gracefulTimeout, bootTimeout, 0, 0,
				ReloadStrategy.ROLLING, List.of(), new ListenAddress("", 0, 128));
	}

	/** How often a worker sends a heartbeat: four per timeout. */
	public Duration heartbeatInterval() {
		Duration interval = this.timeout.dividedBy(4);
		return interval.isZero() ? Duration.ofMillis(1) : interval;
	}

}
