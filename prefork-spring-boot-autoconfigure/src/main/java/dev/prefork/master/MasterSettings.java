package dev.prefork.master;

import java.time.Duration;

/**
 * The master's configuration, already validated.
 *
 * @param workers how many workers to keep running
 * @param timeout a ready worker silent for longer than this is killed
 * @param gracefulTimeout how long a graceful stop may take before workers are killed
 * @param bootTimeout how long a worker may take to become ready
 */
public record MasterSettings(int workers, Duration timeout, Duration gracefulTimeout, Duration bootTimeout) {

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

	/** How often a worker sends a heartbeat: four per timeout. */
	public Duration heartbeatInterval() {
		Duration interval = this.timeout.dividedBy(4);
		return interval.isZero() ? Duration.ofMillis(1) : interval;
	}

}
