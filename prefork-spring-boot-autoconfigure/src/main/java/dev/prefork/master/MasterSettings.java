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
 * @param gpus GPU ids handed out to worker slots ({@code CUDA_VISIBLE_DEVICES}), empty for none
 * @param budget each worker's share of memory and processors
 * @param minReadyWorkers the master is healthy (ready for traffic) with at least this many
 * ready workers
 * @param maxWorkerLifetime how long after its spawn a worker is recycled, zero for never
 * @param maxWorkerLifetimeJitter up to this much longer, drawn per worker, so that workers
 * started together do not all recycle together
 */
public record MasterSettings(int workers, int maxWorkers, Duration timeout, Duration gracefulTimeout,
		Duration bootTimeout, long maxRequests, long maxRequestsJitter, ReloadStrategy reloadStrategy,
		List<String> workerJvmArgs, ListenAddress listen, List<String> gpus, WorkerBudget budget,
		int minReadyWorkers, Duration maxWorkerLifetime, Duration maxWorkerLifetimeJitter) {

	public MasterSettings {
		workerJvmArgs = List.copyOf(workerJvmArgs);
		gpus = List.copyOf(gpus);
	}

	/** Settings whose workers are not recycled by age. */
	public MasterSettings(int workers, int maxWorkers, Duration timeout, Duration gracefulTimeout, Duration bootTimeout,
			long maxRequests, long maxRequestsJitter, ReloadStrategy reloadStrategy, List<String> workerJvmArgs,
			ListenAddress listen, List<String> gpus, WorkerBudget budget, int minReadyWorkers) {
		this(workers, maxWorkers, timeout, gracefulTimeout, bootTimeout, maxRequests, maxRequestsJitter, reloadStrategy,
				workerJvmArgs, listen, gpus, budget, minReadyWorkers, Duration.ZERO, Duration.ZERO);
	}

	/** Settings whose workers size themselves. */
	public MasterSettings(int workers, int maxWorkers, Duration timeout, Duration gracefulTimeout, Duration bootTimeout,
			long maxRequests, long maxRequestsJitter, ReloadStrategy reloadStrategy, List<String> workerJvmArgs,
			ListenAddress listen, List<String> gpus) {
		this(workers, maxWorkers, timeout, gracefulTimeout, bootTimeout, maxRequests, maxRequestsJitter, reloadStrategy,
				workerJvmArgs, listen, gpus, WorkerBudget.NONE, 1);
	}

	/** These settings with another budget. */
	public MasterSettings withBudget(WorkerBudget budget) {
		return new MasterSettings(this.workers, this.maxWorkers, this.timeout, this.gracefulTimeout, this.bootTimeout,
				this.maxRequests, this.maxRequestsJitter, this.reloadStrategy, this.workerJvmArgs, this.listen, this.gpus,
				budget, this.minReadyWorkers, this.maxWorkerLifetime, this.maxWorkerLifetimeJitter);
	}

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
				ReloadStrategy.ROLLING, List.of(), new ListenAddress("", 0, 128), List.of());
	}

	/**
	 * The GPU of a worker slot: slot i gets {@code gpus[i % gpus]}. Slots are always 0 to
	 * workers - 1, so this puts at most ceil(workers / gpus) workers on a GPU, gives every
	 * worker of a slot (a respawn after a crash, a recycle, the next generation) the same GPU,
	 * and follows scaling and a reload with changed GPUs without anything to count or leak.
	 * @return the GPU id, or null without GPUs
	 */
	public String gpuOf(int slot) {
		return this.gpus.isEmpty() ? null : this.gpus.get(slot % this.gpus.size());
	}

	/** Why the workers cannot be scaled from {@code current} to {@code wanted}, or null if they can. */
	String scaleProblem(int wanted, int current) {
		String why = (wanted < 1 || wanted > this.maxWorkers) ? "the range is 1 to " + this.maxWorkers
				+ " (prefork.max-workers)" : (wanted > current) ? this.budget.memory().fitProblem(wanted) : null;
		return (why != null) ? "cannot scale to " + wanted + " workers: " + why + "; still " + current : null;
	}

	/** A warming worker may take this long beyond the limit it announced (its last requests, a slow stop). */
	public static final Duration WARMUP_GRACE = Duration.ofSeconds(60);

	/** How often a worker sends a heartbeat: four per timeout. */
	public Duration heartbeatInterval() {
		Duration interval = this.timeout.dividedBy(4);
		return interval.isZero() ? Duration.ofMillis(1) : interval;
	}

}
