package dev.prefork.master;

/**
 * Everything that can happen to the master arrives as one of these on the master's queue.
 * Signal handlers, HTTP endpoints, channel readers and reapers only ever enqueue them.
 */
public sealed interface Command {

	/** Stop the master and all workers. */
	record Stop(StopMode mode, Source source, Reply reply) implements Command {

		public Stop(StopMode mode, Source source) {
			this(mode, source, Reply.NONE);
		}

	}

	/**
	 * Re-read the configuration and replace every worker. While a reload runs, another one
	 * nobody waits for is queued (signals coalesce); one with a reply is refused.
	 * @param strategy the strategy for this reload, or {@code null} for the configured one
	 */
	record Reload(ReloadStrategy strategy, Source source, Reply reply) implements Command {

		public Reload(ReloadStrategy strategy, Source source) {
			this(strategy, source, Reply.NONE);
		}

	}

	/**
	 * Change the number of workers, by {@code delta} or to {@code workers}; refused, and
	 * nothing changes, if the result is outside 1..{@code prefork.max-workers}.
	 * @param workers the absolute count, or {@code null} to apply {@code delta}
	 * @param delta the change when {@code workers} is {@code null}
	 */
	record Scale(Integer workers, int delta, Source source, Reply reply) implements Command {

		public Scale(int delta, Source source) {
			this(null, delta, source, Reply.NONE);
		}

	}

	/** Reopen log files in the master and every worker. */
	record ReopenLogs(Source source, Reply reply) implements Command {

		public ReopenLogs(Source source) {
			this(source, Reply.NONE);
		}

	}

	/** Start a new master from the original command line and hand it the listening socket. */
	record Upgrade(Source source, Reply reply) implements Command {

		public Upgrade(Source source) {
			this(source, Reply.NONE);
		}

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

	/**
	 * A worker said {@code WARMING}: its application started and it warms itself up.
	 * @param limit the longest its warm-up takes
	 */
	record WorkerWarming(long workerId, java.time.Duration limit) implements Command {
	}

	/**
	 * A worker said {@code READY} on its channel.
	 * @param warmup its warm-up, or {@code null} if it had none
	 */
	record WorkerReady(long workerId, Warmup warmup) implements Command {

		public WorkerReady(long workerId) {
			this(workerId, null);
		}

	}

	/** What a worker's warm-up did: its length, the requests it sent, how many got an error. */
	record Warmup(java.time.Duration took, long requests, long errors) {
	}

	/** A worker's periodic heartbeat. */
	record WorkerHeartbeat(long workerId, long requestsServed, int inflight) implements Command {
	}

	/** A worker process was reaped. */
	record WorkerExited(long workerId, ExitStatus status) implements Command {
	}

}
