package dev.prefork.master;

/**
 * One worker in the master's table. Owned by the master thread; never shared.
 */
final class Worker {

	final long id;

	final int slot;

	final int generation;

	final WorkerProcess process;

	final long spawnedAt;

	WorkerState state = WorkerState.BOOTING;

	long readyAt;

	static final long NEVER = Long.MIN_VALUE;

	long lastHeartbeatAt = NEVER;

	long requests;

	int inflight;

	/** Why the master is stopping this worker; {@code null} while nobody asked it to stop. */
	ExitReason retireReason;

	/** When to send SIGKILL if the worker is still there. */
	long killAt = Long.MAX_VALUE;

	boolean killSent;

	Worker(long id, int slot, int generation, WorkerProcess process, long spawnedAt) {
		this.id = id;
		this.slot = slot;
		this.generation = generation;
		this.process = process;
		this.spawnedAt = spawnedAt;
	}

	long pid() {
		return this.process.pid();
	}

	@Override
	public String toString() {
		return "Worker " + this.slot + " (pid " + pid() + ")";
	}

}
