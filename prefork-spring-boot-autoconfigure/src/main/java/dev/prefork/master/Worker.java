package dev.prefork.master;

/**
 * One worker in the master's table. Owned by the master thread; never shared.
 */
final class Worker {

	final long id;

	final int slot;

	final int generation;

	/**
	 * Its generation's settings: it is judged by them (timeouts, memory) until it exits, even
	 * after a reload changed them for the next generation.
	 */
	final MasterSettings settings;

	/** Where it serves. */
	final ListenAddress listen;

	final ChildProcess process;

	final long spawnedAt;

	/** Changed only by {@link #moveTo}. */
	WorkerState state = WorkerState.BOOTING;

	long readyAt;

	/** A warming worker not ready by then is killed. */
	long warmingDeadline = Long.MAX_VALUE;

	static final long NEVER = Long.MIN_VALUE;

	long lastHeartbeatAt = NEVER;

	long requests;

	int inflight;

	/** The GPU assigned to its slot when it was spawned, or null. */
	String gpu;

	/** Requests after which this worker is recycled; {@code Long.MAX_VALUE} for never. */
	final long maxRequests;

	/** When {@code prefork.max-worker-lifetime} (plus its draw of the jitter) is up; {@code Long.MAX_VALUE} for never. */
	long lifetimeEndsAt = Long.MAX_VALUE;

	/** Its max heap as started, or -1 if the JVM chose it. */
	long maxHeapBytes = -1;

	/** Went above {@code prefork.max-worker-memory}: to be replaced, readiness-gated. */
	boolean overMemory;

	/** The worker this one replaces once it is ready (reload or recycle), or {@code null}. */
	Worker replaces;

	/** Why the replaced worker stops once this one is ready. */
	ExitReason replaceReason;

	/** Recycling is not tried again before this time (after a replacement failed to boot). */
	long recycleNotBefore;

	/** Why the master is stopping this worker; {@code null} while nobody asked it to stop. */
	ExitReason retireReason;

	/** When to send SIGKILL if the worker is still there. */
	long killAt = Long.MAX_VALUE;

	boolean killSent;

	/** Log files were reopened while this worker booted; it gets USR1 once ready. */
	boolean reopenLogsWhenReady;

	Worker(long id, int slot, int generation, MasterSettings settings, ChildProcess process, long spawnedAt,
			long maxRequests) {
		this.id = id;
		this.settings = settings;
		this.listen = settings.listen();
		this.maxRequests = maxRequests;
		this.slot = slot;
		this.generation = generation;
		this.process = process;
		this.spawnedAt = spawnedAt;
	}

	/**
	 * Moves this worker on in its life ({@link WorkerState}).
	 * @throws IllegalStateException for a move its life does not allow, such as back to ready
	 * once draining: a bug in the master
	 */
	void moveTo(WorkerState next) {
		if (!this.state.mayMoveTo(next)) {
			throw new IllegalStateException(this + " cannot go from " + this.state + " to " + next);
		}
		this.state = next;
	}

	/** Booting or warming: not ready yet. */
	boolean isBooting() {
		return this.state == WorkerState.BOOTING || this.state == WorkerState.WARMING;
	}

	/** Booting, warming or ready: not on its way out. */
	boolean isActive() {
		return this.state != WorkerState.DRAINING;
	}

	long pid() {
		return this.process.pid();
	}

	@Override
	public String toString() {
		return "Worker " + this.slot + " (pid " + pid() + ")";
	}

}
