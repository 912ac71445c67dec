package dev.prefork.master;

import java.time.Instant;
import java.util.List;

/**
 * An immutable picture of the master, published by the master thread after every turn.
 *
 * @param pid the master's pid
 * @param state the master's state
 * @param generation the generation new workers are started in
 * @param targetWorkers how many workers the master keeps running
 * @param minReadyWorkers ready workers needed for the master to be healthy
 * ({@code prefork.min-ready-workers}, as of the last reload)
 * @param workers every worker in the table, by slot
 * @param lastReload the last reload that ended, or {@code null}
 * @param upgrade the new master this master started with USR2, or {@code null}
 * @param upgradedFrom the old master's pid while this master is a not yet promoted new master,
 * or {@code null}
 * @param exitCode the code the master exits with once stopped
 * @param memory the memory limit workers are sized for, or {@code null} when they size themselves
 * @param warmupPaths the recorded paths new workers warm up with, most frequent first
 */
public record MasterStatus(long pid, MasterState state, int generation, int targetWorkers, int minReadyWorkers,
		List<WorkerStatus> workers, ReloadReport lastReload, UpgradeStatus upgrade, Long upgradedFrom, int exitCode,
		MemoryStatus memory, List<String> warmupPaths) {

	public MasterStatus(long pid, MasterState state, int generation, int targetWorkers, int minReadyWorkers,
			List<WorkerStatus> workers, ReloadReport lastReload, UpgradeStatus upgrade, Long upgradedFrom, int exitCode,
			MemoryStatus memory) {
		this(pid, state, generation, targetWorkers, minReadyWorkers, workers, lastReload, upgrade, upgradedFrom,
				exitCode, memory, List.of());
	}

	/** This status with the recorded warm-up paths, which the master loop does not keep. */
	public MasterStatus withWarmupPaths(List<String> paths) {
		return new MasterStatus(this.pid, this.state, this.generation, this.targetWorkers, this.minReadyWorkers, this.workers,
				this.lastReload, this.upgrade, this.upgradedFrom, this.exitCode, this.memory, List.copyOf(paths));
	}

	/** Milliseconds as the status and the logs show them: seconds, to the hundredth. */
	/** "1 worker", "2 workers". */
	public static String workers(long count) {
		return count + ((count == 1) ? " worker" : " workers");
	}

	/** "the worker", "all 2 workers". */
	public static String all(long count) {
		return (count == 1) ? "the worker" : "all " + count + " workers";
	}

	public static double seconds(long millis) {
		return Math.round(millis / 10.0) / 100.0;
	}

	public long readyWorkers() {
		return this.workers.stream().filter((worker) -> worker.state() == WorkerState.READY).count();
	}

	/**
	 * One worker.
	 *
	 * @param slot the worker's slot
	 * @param pid the worker's pid
	 * @param state the worker's state
	 * @param generation the generation it was started in
	 * @param ageSeconds seconds since it was spawned
	 * @param heartbeatAgeSeconds seconds since its last heartbeat, or {@code null} before it was ready
	 * @param requests requests served, as of the last heartbeat
	 * @param inflight requests in progress, as of the last heartbeat
	 * @param residentMemoryBytes resident set size, read from {@code /proc} when asked for, or {@code null}
	 * @param gpu the GPU assigned to the worker's slot, or {@code null}
	 * @param maxHeapBytes the worker's max heap, the master's choice or the user's, or {@code null}
	 * if the JVM chose it
	 * @param maxRequests the requests after which this worker is recycled
	 * ({@code prefork.max-requests} plus its own draw of the jitter), or {@code null} if never
	 */
	public record WorkerStatus(int slot, long pid, WorkerState state, int generation, double ageSeconds,
			Double heartbeatAgeSeconds, long requests, int inflight, Long residentMemoryBytes, String gpu,
			Long maxHeapBytes, Long maxRequests) {

		public WorkerStatus withResidentMemoryBytes(Long bytes) {
			return new WorkerStatus(this.slot, this.pid, this.state, this.generation, this.ageSeconds,
					this.heartbeatAgeSeconds, this.requests, this.inflight, bytes, this.gpu, this.maxHeapBytes,
					this.maxRequests);
		}

	}

	/** This status with each worker transformed, e.g. to add what is read at request time. */
	public MasterStatus withWorkers(java.util.function.UnaryOperator<WorkerStatus> transform) {
		return new MasterStatus(this.pid, this.state, this.generation, this.targetWorkers, this.minReadyWorkers,
				this.workers.stream().map(transform).toList(), this.lastReload, this.upgrade, this.upgradedFrom,
				this.exitCode, this.memory, this.warmupPaths);
	}

	/**
	 * The memory limit workers are sized for.
	 *
	 * @param limitBytes the limit
	 * @param source where it comes from
	 * @param workerHeapBytes the max heap of a worker started now, or {@code null} when the user
	 * sets it with a percentage
	 * @param heapSetBy {@code prefork} or {@code user}
	 */
	public record MemoryStatus(long limitBytes, String source, Long workerHeapBytes, String heapSetBy) {
	}

	/**
	 * How a reload ended.
	 *
	 * @param generation the generation it tried to start
	 * @param strategy rolling or all-at-once
	 * @param result {@code succeeded} or {@code failed}
	 * @param message what happened, in one line
	 * @param durationSeconds from the reload command to its end
	 * @param finishedAt when it ended
	 */
	public record ReloadReport(int generation, String strategy, String result, String message, double durationSeconds,
			Instant finishedAt) {
	}

	/**
	 * An upgrade in progress, seen from the old master.
	 *
	 * @param newMasterPid the new master's pid
	 * @param newMasterReady whether all its first workers were ready
	 * @param ageSeconds seconds since the upgrade started
	 */
	public record UpgradeStatus(long newMasterPid, boolean newMasterReady, double ageSeconds) {
	}

}
