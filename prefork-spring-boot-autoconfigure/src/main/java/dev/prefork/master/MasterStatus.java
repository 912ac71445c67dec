package dev.prefork.master;

import java.util.List;

/**
 * An immutable picture of the master, published by the master thread after every turn.
 *
 * @param pid the master's pid
 * @param state the master's state
 * @param generation the current worker generation
 * @param targetWorkers how many workers the master keeps running
 * @param workers every worker in the table, by slot
 * @param exitCode the code the master exits with once stopped
 */
public record MasterStatus(long pid, MasterState state, int generation, int targetWorkers, List<WorkerStatus> workers,
		int exitCode) {

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
	 */
	public record WorkerStatus(int slot, long pid, WorkerState state, int generation, double ageSeconds,
			Double heartbeatAgeSeconds, long requests, int inflight) {
	}

}
