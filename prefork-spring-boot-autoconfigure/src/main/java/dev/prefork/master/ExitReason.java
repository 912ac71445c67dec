package dev.prefork.master;

import java.util.Locale;

/** Why a worker left the table; logged, and later a metric tag. */
public enum ExitReason {

	/** Stopped by the master with TERM or INT and exited in time. */
	GRACEFUL,

	/** Exited without being asked to. */
	CRASH,

	/** Sent no heartbeat within the timeout, or no READY within the boot timeout. */
	TIMEOUT,

	/** Exited before it was ready. */
	BOOT_FAILURE,

	/** Served {@code prefork.max-requests} and was replaced. */
	MAX_REQUESTS,

	/** Ran for {@code prefork.max-worker-lifetime} and was replaced. */
	LIFETIME,

	/** Stopped because the number of workers went down. */
	SCALE_DOWN,

	/** Did not stop within its grace period and was killed. */
	KILLED,

	/** Killed by the kernel's OOM killer (its cgroup's or the machine's memory ran out). */
	OOM_KILLED,

	/** Went above {@code prefork.max-worker-memory} (replaced) or {@code prefork.max-worker-memory-kill} (killed). */
	MEMORY,

	/** Had a larger max heap than the worker count allows after a scale-up, and was replaced. */
	RESIZED;

	/** Why a successor is spawned for a worker replaced for this reason, for the spawn counter. */
	String spawnReason() {
		return switch (this) {
			case MEMORY -> "memory";
			case RESIZED -> "resize";
			case GRACEFUL -> "reload";
			default -> "recycle";
		};
	}

	@Override
	public String toString() {
		return name().toLowerCase(Locale.ROOT);
	}

}
