package dev.prefork.master;

/**
 * Everything that can happen to the master arrives as one of these on the master's queue.
 * Signal handlers, HTTP endpoints, channel readers and reapers only ever enqueue them.
 */
public sealed interface Command {

	/** Stop the master and all workers. */
	record Stop(StopMode mode, Source source) implements Command {
	}

	/**
	 * Re-read the configuration and replace every worker.
	 * @param strategy the strategy for this reload, or {@code null} for the configured one
	 */
	record Reload(ReloadStrategy strategy, Source source) implements Command {
	}

	/** Change the number of workers by {@code delta}. */
	record Scale(int delta, Source source) implements Command {
	}

	/** Reopen log files in the master and every worker. */
	record ReopenLogs(Source source) implements Command {
	}

	/** Start a new master from the original command line and hand it the listening socket. */
	record Upgrade(Source source) implements Command {
	}

	/** Gracefully stop every worker, keep the master and its socket (the old master's step in an upgrade). */
	record StopWorkers(Source source) implements Command {
	}

	/** The new master of an upgrade has all its first workers ready. */
	record UpgradeReady(long pid) implements Command {
	}

	/** The new master of an upgrade was reaped. */
	record UpgradeExited(long pid, ExitStatus status) implements Command {
	}

	/** This master was the new master of an upgrade, and the old master is gone. */
	record Promoted(long oldMasterPid) implements Command {
	}

	/** A worker said {@code READY} on its channel. */
	record WorkerReady(long workerId) implements Command {
	}

	/** A worker's periodic heartbeat. */
	record WorkerHeartbeat(long workerId, long requestsServed, int inflight) implements Command {
	}

	/** A worker process was reaped. */
	record WorkerExited(long workerId, ExitStatus status) implements Command {
	}

}
