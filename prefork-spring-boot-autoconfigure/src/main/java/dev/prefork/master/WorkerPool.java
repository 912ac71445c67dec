package dev.prefork.master;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The master's worker processes: the table of them by id, and each one's life: started, warming,
 * ready, heartbeats, asked to stop, killed when hung or too big, reaped and told apart from the
 * kernel's OOM kills. Each is judged by its own generation's settings. The {@link Master}
 * decides which slots get a worker, and when; this carries it out. Owned by the master thread.
 */
final class WorkerPool {

	private static final Log logger = LogFactory.getLog(WorkerPool.class);

	/** The workers by id; a worker leaves only when reaped. */
	private final Map<Long, Worker> workers = new LinkedHashMap<>();

	private final WorkerLauncher launcher;

	private final SplittableRandom random = new SplittableRandom();

	private long nextWorkerId = 1;

	private Collection<ListenAddress> listenersInUse = List.of();

	/** The kernel's count of OOM kills in the master's cgroup (or machine), -1 if unknown. */
	private LongSupplier oomKills = () -> -1;

	/** OOM kills already accounted for. */
	private long oomKillsSeen = -1;

	/** A process's resident memory in bytes, -1 if unknown. */
	private LongUnaryOperator residentMemory = (pid) -> -1;

	private final MasterEvents events;

	WorkerPool(WorkerLauncher launcher, MasterEvents events) {
		this.launcher = launcher;
		this.events = events;
	}

	void countOomKillsWith(LongSupplier counter) {
		this.oomKills = counter;
		this.oomKillsSeen = counter.getAsLong();
	}

	void measureMemoryWith(LongUnaryOperator residentBytes) {
		this.residentMemory = residentBytes;
	}

	/**
	 * Starts a worker in {@code slot}.
	 * @param settings its generation's settings
	 * @param targetWorkers how many workers share the budget
	 * @param nobodyServes whether clients wait for this worker (it should not warm up first)
	 * @param events where its channel and its exit report
	 * @return the worker, already in the table
	 * @throws IOException if the process could not be started
	 */
	Worker spawn(int slot, int generation, MasterSettings settings, int targetWorkers, boolean nobodyServes,
			Consumer<Command> events, long now) throws IOException {
		WorkerLauncher.WorkerSpec spec = new WorkerLauncher.WorkerSpec(this.nextWorkerId++, slot, generation, settings,
				settings.budget().resourcesFor(targetWorkers), nobodyServes);
		long maxRequests = (settings.maxRequests() > 0)
				? settings.maxRequests() + this.random.nextLong(settings.maxRequestsJitter() + 1) : Long.MAX_VALUE;
		ChildProcess process = this.launcher.launch(spec, events);
		Worker worker = new Worker(spec.id(), slot, generation, settings, process, now, maxRequests);
		worker.gpu = spec.gpu();
		worker.lifetimeEndsAt = lifetimeEnd(settings, now, this.random);
		worker.maxHeapBytes = spec.resources().maxHeapBytes();
		this.workers.put(worker.id, worker);
		logger.info("Booting worker " + slot + " (pid " + process.pid() + ", generation " + generation
				+ ((worker.gpu != null) ? ", GPU " + worker.gpu : "") + ")");
		return worker;
	}

	/** When a worker spawned at {@code spawnedAt} is due for recycling by age, with its own draw of the jitter. */
	static long lifetimeEnd(MasterSettings settings, long spawnedAt, SplittableRandom random) {
		long lifetime = settings.maxWorkerLifetime().toMillis();
		return (lifetime > 0)
				? spawnedAt + lifetime + random.nextLong(settings.maxWorkerLifetimeJitter().toMillis() + 1)
				: Long.MAX_VALUE;
	}

	/**
	 * {@code prefork.worker.ready-nice}: once its application has started, a worker goes below
	 * the ones that still boot (a context's refresh is one thread: under load, the serving
	 * workers' request threads would leave it a sliver of the CPU). Its warm-up then shares the
	 * CPU with the serving workers as their equal, instead of starving them.
	 */
	private static void lowerPriority(Worker worker) {
		int nice = worker.settings.budget().cpu().readyNice();
		if (nice > 0) {
			worker.process.lowerPriority(nice);
		}
	}

	/** A worker said it warms itself up: it must be ready within the limit it gave plus a grace. */
	void warming(Command.WorkerWarming warming, long now) {
		Worker worker = get(warming.workerId()).orElse(null);
		if (worker == null || worker.state != WorkerState.BOOTING) {
			return;
		}
		worker.moveTo(WorkerState.WARMING);
		lowerPriority(worker);
		worker.warmingDeadline = now + warming.limit().plus(MasterSettings.WARMUP_GRACE).toMillis();
		logger.info(worker + " started in " + MasterStatus.seconds(now - worker.spawnedAt)
				+ " s; warming up before it takes requests");
		this.events.workerWarming(worker.slot, worker.pid());
	}

	/**
	 * A worker said it is ready.
	 * @return the worker, or null if it is not one of the table's booting workers
	 */
	Worker ready(Command.WorkerReady ready, long now) {
		Worker worker = get(ready.workerId()).orElse(null);
		if (worker == null || !worker.isBooting()) {
			return null;
		}
		if (worker.state == WorkerState.BOOTING) {
			lowerPriority(worker); // it did not warm up
		}
		worker.moveTo(WorkerState.READY);
		if (ready.warmup() != null) {
			this.events.workerWarmedUp(worker.slot, worker.pid(), ready.warmup());
		}
		worker.readyAt = now;
		worker.lastHeartbeatAt = now;
		if (worker.reopenLogsWhenReady) {
			worker.process.signal(Signal.USR1);
		}
		logger.info("Booted worker " + worker.slot + " (pid " + worker.pid() + ") in "
				+ MasterStatus.seconds(now - worker.spawnedAt) + " s");
		this.events.workerReady(worker.slot, worker.pid(), Duration.ofMillis(now - worker.spawnedAt));
		return worker;
	}

	void heartbeat(Command.WorkerHeartbeat heartbeat, long now) {
		get(heartbeat.workerId()).ifPresent((worker) -> {
			worker.lastHeartbeatAt = now;
			worker.requests = heartbeat.requestsServed();
			worker.inflight = heartbeat.inflight();
			checkMemory(worker, now);
		});
	}

	/**
	 * Asks a worker to stop; SIGKILL follows if it is still there after {@code grace}.
	 * @param signal what to send now, or null for nothing (its thread dump was asked for)
	 */
	void retire(Worker worker, ExitReason reason, Signal signal, Duration grace, long now) {
		worker.moveTo(WorkerState.DRAINING);
		worker.retireReason = reason;
		worker.killAt = Math.min(worker.killAt, now + grace.toMillis());
		worker.killSent |= signal == Signal.KILL;
		if (signal != null) {
			worker.process.signal(signal);
		}
	}

	/** TERM, and SIGKILL after the graceful timeout of the worker's own generation. */
	void retireGracefully(Worker worker, ExitReason reason, long now) {
		retire(worker, reason, Signal.TERM, worker.settings.gracefulTimeout(), now);
	}

	/** {@code worker} is ready: the worker it replaces stops gracefully. */
	void retireReplaced(Worker worker, long now) {
		Worker old = worker.replaces;
		worker.replaces = null;
		if (old.isActive()) {
			logger.info(old + " replaced by worker " + worker.slot + " (pid " + worker.pid() + "); stopping it gracefully");
			retireGracefully(old, worker.replaceReason, now);
		}
	}

	/** After scaling down, the workers in slots at or above {@code targetWorkers} stop gracefully. */
	void retireAbove(int targetWorkers, long now) {
		for (Worker worker : active()) {
			if (worker.slot >= targetWorkers) {
				logger.info(worker + " is above the target of " + targetWorkers + " workers; stopping it gracefully");
				retireGracefully(worker, ExitReason.SCALE_DOWN, now);
			}
		}
	}

	/** Asks every worker to stop with {@code signal}; SIGKILL follows at {@code deadline}. */
	void stopAll(Signal signal, long deadline) {
		for (Worker worker : all()) {
			if (worker.retireReason == null) {
				worker.retireReason = ExitReason.GRACEFUL;
			}
			worker.moveTo(WorkerState.DRAINING);
			worker.killAt = Math.min(worker.killAt, deadline);
			if (!worker.killSent) {
				worker.process.signal(signal);
			}
		}
	}

	/**
	 * {@code prefork.max-worker-memory} (marks the worker to be replaced, readiness-gated) and
	 * {@code -kill} (kills it now), by the worker's own generation's limits; on each heartbeat.
	 */
	void checkMemory(Worker worker, long now) {
		WorkerBudget budget = worker.settings.budget();
		if ((budget.recycleAboveBytes() <= 0 && budget.killAboveBytes() <= 0) || worker.state != WorkerState.READY) {
			return;
		}
		long resident = this.residentMemory.applyAsLong(worker.pid());
		if (budget.killAboveBytes() > 0 && resident > budget.killAboveBytes()) {
			logger.error(worker + " uses " + MemoryBudget.mib(resident) + " of resident memory, above "
					+ "prefork.max-worker-memory-kill (" + MemoryBudget.mib(budget.killAboveBytes()) + "); killing it");
			retire(worker, ExitReason.MEMORY, Signal.KILL, Duration.ZERO, now);
		}
		else if (budget.recycleAboveBytes() > 0 && resident > budget.recycleAboveBytes() && !worker.overMemory) {
			logger.warn(worker + " uses " + MemoryBudget.mib(resident) + " of resident memory, above "
					+ "prefork.max-worker-memory (" + MemoryBudget.mib(budget.recycleAboveBytes()) + "); replacing it");
			worker.overMemory = true;
		}
	}

	/**
	 * Has every worker late to be ready or silent for longer than its {@code prefork.timeout}
	 * write its thread dump, and sends it SIGKILL a little later; SIGKILL to every worker whose
	 * grace is over. Each worker is judged by its own generation's settings.
	 * @return the workers that were late to be ready, with what they were late for
	 */
	Map<Worker, String> killHung(long now) {
		Map<Worker, String> lateToBoot = new LinkedHashMap<>();
		for (Worker worker : all()) {
			String late = lateToBoot(worker, now);
			long silentFor = now - worker.lastHeartbeatAt;
			if (late != null) {
				logger.error(worker + " was not ready within " + late + "; writing its thread dump "
						+ worker.process.dumpThreads("worker-" + worker.slot) + ", SIGKILL in "
						+ MasterSettings.THREAD_DUMP_GRACE.toSeconds() + " s");
				retire(worker, ExitReason.TIMEOUT, null, MasterSettings.THREAD_DUMP_GRACE, now);
				lateToBoot.put(worker, late);
			}
			else if (worker.state == WorkerState.READY && silentFor > worker.settings.timeout().toMillis()) {
				logger.error(worker + " sent no heartbeat for " + MasterStatus.seconds(silentFor) + " s (prefork.timeout is "
						+ MasterStatus.seconds(worker.settings.timeout().toMillis()) + " s); writing its thread dump "
						+ worker.process.dumpThreads("worker-" + worker.slot) + ", SIGKILL in "
						+ MasterSettings.THREAD_DUMP_GRACE.toSeconds() + " s");
				retire(worker, ExitReason.TIMEOUT, null, MasterSettings.THREAD_DUMP_GRACE, now);
			}
			if (!worker.killSent && now >= worker.killAt) {
				logger.warn(worker + " did not exit in time; sending SIGKILL");
				worker.process.signal(Signal.KILL);
				worker.killSent = true;
			}
		}
		return lateToBoot;
	}

	/**
	 * Why a worker that is not ready yet is late, or null: its application must start within
	 * {@code prefork.boot-timeout}, and its warm-up end within the limit it announced plus a grace.
	 */
	private static String lateToBoot(Worker worker, long now) {
		long bootTimeout = worker.settings.bootTimeout().toMillis();
		if (worker.state == WorkerState.BOOTING && now - worker.spawnedAt > bootTimeout) {
			return "prefork.boot-timeout (" + MasterStatus.seconds(bootTimeout) + " s)";
		}
		if (worker.state == WorkerState.WARMING && now > worker.warmingDeadline) {
			return "its warm-up's limit and " + MasterSettings.WARMUP_GRACE.toSeconds() + " s";
		}
		return null;
	}

	/**
	 * Why a ready worker is due to be replaced, or null: it served its {@code max-requests},
	 * ran for its {@code max-worker-lifetime}, went above {@code max-worker-memory}, or has a
	 * larger heap than {@code heapNow} allows.
	 */
	static ExitReason dueForReplacement(Worker worker, long heapNow, long now) {
		if (worker.state != WorkerState.READY || now < worker.recycleNotBefore) {
			return null;
		}
		if (worker.requests >= worker.maxRequests) {
			logger.info(worker + " served " + worker.requests + " requests (limit " + worker.maxRequests + "); recycling it");
			return ExitReason.MAX_REQUESTS;
		}
		if (now >= worker.lifetimeEndsAt) {
			logger.info(worker + " has run for " + MasterStatus.seconds(now - worker.spawnedAt)
					+ " s (prefork.max-worker-lifetime " + MasterStatus.seconds(worker.settings.maxWorkerLifetime().toMillis())
					+ " s and its jitter); recycling it");
			return ExitReason.LIFETIME;
		}
		if (worker.overMemory) {
			return ExitReason.MEMORY;
		}
		if (heapNow > 0 && worker.maxHeapBytes > heapNow) {
			logger.info(worker + " has a max heap of " + MemoryBudget.mib(worker.maxHeapBytes) + ", more than the "
					+ MemoryBudget.mib(heapNow) + " the workers may have now; replacing it");
			return ExitReason.RESIZED;
		}
		return null;
	}

	/** Says why a worker that was ready exited without being asked to. */
	static void reportCrash(Worker worker, ExitReason reason, ExitStatus status, long now) {
		String oom = (reason == ExitReason.OOM_KILLED)
				? ": the kernel's OOM killer ended it, so the workers need more memory than the limit allows; lower "
						+ "prefork.workers or the heap, or raise the memory limit" : "";
		logger.error(worker + " exited unexpectedly: " + reason + " (" + status + ") after "
				+ MasterStatus.seconds(now - worker.spawnedAt) + " s" + oom);
	}

	/**
	 * What ended a worker that was just reaped: the reason it was retired for (or
	 * {@link ExitReason#KILLED} if it outlived its grace), else a boot failure or a crash, or
	 * the kernel's OOM killer.
	 */
	ExitReason exitReason(Worker worker, ExitStatus status) {
		if (worker.retireReason != null) {
			boolean gracePassed = worker.killSent && worker.retireReason != ExitReason.TIMEOUT
					&& worker.retireReason != ExitReason.BOOT_FAILURE && worker.retireReason != ExitReason.MEMORY;
			return gracePassed ? ExitReason.KILLED : worker.retireReason;
		}
		if (isOomKill(status)) {
			return ExitReason.OOM_KILLED;
		}
		return worker.isBooting() ? ExitReason.BOOT_FAILURE : ExitReason.CRASH;
	}

	/** Asks every worker to reopen its log files (USR1): a booting one once it is ready. */
	void reopenLogs() {
		for (Worker worker : view()) {
			if (worker.state == WorkerState.READY) {
				worker.process.signal(Signal.USR1);
			}
			else if (worker.isBooting()) {
				// SIGUSR1 kills a JVM that has not installed its handler yet: signal it once ready.
				worker.reopenLogsWhenReady = true;
			}
		}
	}

	void killAllNow() {
		for (Worker worker : view()) {
			worker.process.signal(Signal.KILL);
		}
	}

	/**
	 * Whether a SIGKILL the master did not send came from the kernel's OOM killer: its count
	 * of OOM kills went up since the last one accounted for.
	 */
	private boolean isOomKill(ExitStatus status) {
		if (status.signal() != Signal.KILL.number()) {
			return false;
		}
		long count = this.oomKills.getAsLong();
		if (count < 0 || count <= this.oomKillsSeen) {
			return false;
		}
		this.oomKillsSeen++;
		return true;
	}

	/** Lets go of listening sockets that neither {@code configured} nor any worker use any more. */
	void releaseUnusedListeners(ListenAddress configured) {
		Set<ListenAddress> inUse = new LinkedHashSet<>();
		inUse.add(configured);
		view().forEach((worker) -> inUse.add(worker.listen));
		if (!inUse.equals(this.listenersInUse)) {
			this.listenersInUse = inUse;
			this.launcher.retainListeners(inUse);
		}
	}

	/** Each worker as the status shows it, by slot, oldest first. */
	List<MasterStatus.WorkerStatus> statuses(long now) {
		return view()
			.stream()
			.sorted(Comparator.comparingInt((Worker worker) -> worker.slot).thenComparingLong((worker) -> worker.id))
			.map((worker) -> new MasterStatus.WorkerStatus(worker.slot, worker.pid(), worker.state, worker.generation,
					MasterStatus.seconds(now - worker.spawnedAt),
					(worker.lastHeartbeatAt != Worker.NEVER) ? MasterStatus.seconds(now - worker.lastHeartbeatAt) : null,
					worker.requests, worker.inflight, null, worker.gpu,
					(worker.maxHeapBytes >= 0) ? worker.maxHeapBytes : null,
					(worker.maxRequests != Long.MAX_VALUE) ? worker.maxRequests : null))
			.toList();
	}

	Optional<Worker> get(long id) {
		return Optional.ofNullable(this.workers.get(id));
	}

	/** The one place where workers leave the table: when reaped. */
	Optional<Worker> remove(long id) {
		return Optional.ofNullable(this.workers.remove(id));
	}

	/**
	 * Whether the memory limit has room for one more worker beside every process running now:
	 * the master's reserve, each worker's resident memory (draining ones too) and a whole
	 * budget (max heap and non-heap) for the new one. Yes without a limit; no when a worker's
	 * memory or the new one's heap cannot be told.
	 */
	boolean hasRoomForAnother(MemoryBudget memory, int targetWorkers) {
		if (!memory.isEnabled()) {
			return true;
		}
		long heap = memory.heapFor(targetWorkers);
		long used = memory.masterReserveBytes();
		for (Worker worker : this.workers.values()) {
			long resident = this.residentMemory.applyAsLong(worker.pid());
			if (resident < 0) {
				return false;
			}
			used += resident;
		}
		return heap >= 0 && used + heap + memory.nonHeapBytes() <= memory.limitBytes();
	}

	/** The booting and ready workers of a slot, oldest first. */
	List<Worker> active(int slot) {
		return this.workers.values().stream().filter((worker) -> worker.slot == slot && worker.isActive()).toList();
	}

	List<Worker> active() {
		return this.workers.values().stream().filter(Worker::isActive).toList();
	}

	long count(WorkerState state) {
		return this.workers.values().stream().filter((worker) -> worker.state == state).count();
	}

	boolean isEmpty() {
		return this.workers.isEmpty();
	}

	int size() {
		return this.workers.size();
	}

	/** A copy, so the caller may change the table while iterating. */
	List<Worker> all() {
		return new ArrayList<>(this.workers.values());
	}

	Collection<Worker> view() {
		return Collections.unmodifiableCollection(this.workers.values());
	}

}
