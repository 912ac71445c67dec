package dev.prefork.metrics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import dev.prefork.master.Command;
import dev.prefork.master.ExitReason;
import dev.prefork.master.ExitStatus;
import dev.prefork.master.MasterEvents;
import dev.prefork.master.MasterStatus;
import dev.prefork.master.Source;
import dev.prefork.master.WorkerState;
import dev.prefork.os.ProcFs;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * The master's own meters (Micrometer names; the Prometheus registry adds the suffixes):
 * worker counts by state, spawns and exits by reason, reloads, boot times, and per worker
 * slot heartbeat age, requests, in-flight requests, memory, CPU and whether its meters could
 * be scraped. Per-slot values are read at scrape time ({@link #refresh}).
 */
public final class MasterMetrics implements MeterBinder, MasterEvents {

	private final Supplier<MasterStatus> status;

	private final IntSupplier listenFd;

	private final IntSupplier backlog;

	private final String version;

	/** Set by {@link #bindTo}, before the master runs. */
	private MeterRegistry registry;

	private Timer bootDuration;

	private Timer reloadDuration;

	private MultiGauge heartbeatAge;

	private MultiGauge inflight;

	private MultiGauge residentMemory;

	private MultiGauge maxHeap;

	private MultiGauge up;

	private MultiGauge info;

	private final Set<Integer> slotsWithCounters = ConcurrentHashMap.newKeySet();

	/** The last status seen by {@link #refresh}, per slot: the worker whose meters are shown. */
	private volatile Map<Integer, MasterStatus.WorkerStatus> shown = Map.of();

	private Timer warmupDuration;

	private Counter warmupRequests;

	private Counter warmupErrors;

	/**
	 * Creates the master's meters; Spring Boot binds them to the master's registry.
	 * @param status the master's current status
	 * @param listenFd the listening socket's descriptor, for the accept queue
	 * @param backlog the accept queue length asked for when it was bound ({@code prefork.backlog})
	 * @param version the application's version, for {@code prefork.build.info}
	 */
	public MasterMetrics(Supplier<MasterStatus> status, IntSupplier listenFd, IntSupplier backlog, String version) {
		this.status = status;
		this.listenFd = listenFd;
		this.backlog = backlog;
		this.version = version;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		this.registry = registry;
		Supplier<MasterStatus> status = this.status;
		for (WorkerState state : WorkerState.values()) {
			Gauge.builder("prefork.workers", () -> count(state))
				.description("Workers by state: booting, warming, ready, draining")
				.baseUnit("workers")
				.tag("state", state.toString())
				.register(registry);
		}
		Gauge.builder("prefork.workers.target", () -> status.get().targetWorkers())
			.description("Workers the master keeps running")
			.baseUnit("workers")
			.register(registry);
		Gauge.builder("prefork.listen.queue.length", () -> acceptQueue(this.listenFd, 0))
			.description("Connections waiting in the listening socket's accept queue")
			.baseUnit("connections")
			.register(registry);
		Gauge.builder("prefork.listen.queue.max", () -> acceptQueueLimit(this.backlog.getAsInt()))
			.description("Length limit of the listening socket's accept queue")
			.baseUnit("connections")
			.register(registry);
		FunctionCounter.builder("prefork.listen.queue.overflows", this, (metrics) -> ProcFs.listenOverflows())
			.description("Connections dropped because an accept queue was full, for every listening socket of "
					+ "the network namespace (TcpExt ListenOverflows)")
			.baseUnit("connections")
			.register(registry);
		String prefork = MasterMetrics.class.getPackage().getImplementationVersion();
		Gauge.builder("prefork.build.info", () -> 1)
			.description("The application's version and prefork's")
			.tags("version", this.version, "prefork", (prefork != null) ? prefork : "unknown")
			.register(registry);
		this.bootDuration = Timer.builder("prefork.worker.boot.duration")
			.description("Time from spawning a worker to its READY")
			.publishPercentileHistogram()
			.minimumExpectedValue(Duration.ofMillis(500))
			.maximumExpectedValue(Duration.ofMinutes(3))
			.register(registry);
		this.warmupDuration = Timer.builder("prefork.worker.warmup.duration")
			.description("Time a worker spent warming itself up before it took requests")
			.register(registry);
		this.warmupRequests = Counter.builder("prefork.worker.warmup.requests")
			.description("Warm-up requests workers served to themselves")
			.baseUnit("requests")
			.register(registry);
		this.warmupErrors = Counter.builder("prefork.worker.warmup.errors")
			.description("Warm-up requests that got a 4xx or 5xx answer or failed")
			.register(registry);
		this.reloadDuration = Timer.builder("prefork.reload.duration")
			.description("Time from a reload command to the end of the reload")
			.register(registry);
		Gauge.builder("prefork.reload.last.duration", () -> {
			MasterStatus.ReloadReport last = status.get().lastReload();
			return (last != null) ? last.durationSeconds() : Double.NaN;
		})
			.description("How long the last reload took, whatever its result; none before the first reload")
			.baseUnit("seconds")
			.register(registry);
		this.heartbeatAge = MultiGauge.builder("prefork.worker.heartbeat.age")
			.description("Time since the worker's last heartbeat")
			.baseUnit("seconds")
			.register(registry);
		this.inflight = MultiGauge.builder("prefork.worker.inflight")
			.description("Requests in progress in the worker, as of its last heartbeat")
			.baseUnit("requests")
			.register(registry);
		this.residentMemory = MultiGauge.builder("prefork.worker.resident.memory")
			.description("Resident set size of the worker process")
			.baseUnit(BaseUnits.BYTES)
			.register(registry);
		this.maxHeap = MultiGauge.builder("prefork.worker.heap.max")
			.description("The worker's max heap, as the master sized it (or the user set it)")
			.baseUnit(BaseUnits.BYTES)
			.register(registry);
		Gauge.builder("prefork.memory.limit", () -> {
			MasterStatus.MemoryStatus memory = status.get().memory();
			return (memory != null) ? memory.limitBytes() : Double.NaN;
		})
			.description("Memory the master and its workers are sized to fit in (NaN when workers size themselves)")
			.baseUnit(BaseUnits.BYTES)
			.register(registry);
		this.up = MultiGauge.builder("prefork.worker.up")
			.description("1 if the worker's own meters were scraped, 0 if it is booting, hung or gone")
			.register(registry);
		this.info = MultiGauge.builder("prefork.worker.info")
			.description("The worker in each slot: its generation and GPU")
			.register(registry);
	}

	/** Counts a scrape refused because too many were running. */
	public void scrapeRefused() {
		Counter.builder("prefork.scrape.refused")
			.description("Scrapes refused with 503 because as many as the master runs at once were running")
			.register(this.registry)
			.increment();
	}

	/** Counts a worker whose meters could not be scraped in time. */
	public void scrapeError(int slot) {
		Counter.builder("prefork.scrape.errors")
			.description("Scrapes of a worker's meters that failed or timed out")
			.baseUnit("errors")
			.tag("worker", Integer.toString(slot))
			.register(this.registry)
			.increment();
	}

	/** Counts lines of a worker's meters left out of the scrape (malformed, reserved name, another type). */
	public void scrapeDropped(int slot, int lines) {
		Counter.builder("prefork.scrape.dropped")
			.description("Lines of a worker's meters left out of the scrape: malformed, another type than the same "
					+ "family elsewhere, or a name of the master's own prefork_ meters")
			.baseUnit("lines")
			.tag("worker", Integer.toString(slot))
			.register(this.registry)
			.increment(lines);
	}

	/**
	 * Updates the per-slot meters.
	 * @param shown the worker shown for each slot (see {@link #workersBySlot})
	 * @param scraped the slots whose meters were scraped
	 */
	public void refresh(Map<Integer, MasterStatus.WorkerStatus> shown, Set<Integer> scraped) {
		this.shown = shown;
		List<MultiGauge.Row<?>> heartbeats = new ArrayList<>();
		List<MultiGauge.Row<?>> inflights = new ArrayList<>();
		List<MultiGauge.Row<?>> memory = new ArrayList<>();
		List<MultiGauge.Row<?>> heaps = new ArrayList<>();
		List<MultiGauge.Row<?>> ups = new ArrayList<>();
		List<MultiGauge.Row<?>> infos = new ArrayList<>();
		for (int slot : slots(shown)) {
			Tags worker = Tags.of("worker", Integer.toString(slot));
			MasterStatus.WorkerStatus current = shown.get(slot);
			ups.add(MultiGauge.Row.of(worker, scraped.contains(slot) ? 1 : 0));
			registerCounters(slot);
			if (current == null) {
				continue;
			}
			if (current.heartbeatAgeSeconds() != null) {
				heartbeats.add(MultiGauge.Row.of(worker, current.heartbeatAgeSeconds()));
			}
			inflights.add(MultiGauge.Row.of(worker, current.inflight()));
			Long rss = ProcFs.residentBytes(current.pid());
			if (rss != null) {
				memory.add(MultiGauge.Row.of(worker, rss));
			}
			if (current.maxHeapBytes() != null) {
				heaps.add(MultiGauge.Row.of(worker, current.maxHeapBytes()));
			}
			infos.add(MultiGauge.Row.of(worker.and("generation", Integer.toString(current.generation()), "gpu",
					(current.gpu() != null) ? current.gpu() : "none"), 1));
		}
		this.heartbeatAge.register(heartbeats, true);
		this.inflight.register(inflights, true);
		this.residentMemory.register(memory, true);
		this.maxHeap.register(heaps, true);
		this.up.register(ups, true);
		this.info.register(infos, true);
	}

	/** Slots 0..target-1, and any other slot that still has a worker. */
	private Set<Integer> slots(Map<Integer, MasterStatus.WorkerStatus> shown) {
		Set<Integer> slots = new java.util.TreeSet<>(shown.keySet());
		for (int slot = 0; slot < this.status.get().targetWorkers(); slot++) {
			slots.add(slot);
		}
		return slots;
	}

	/** Counters per slot restart from zero when the slot's worker is replaced; rate() handles that. */
	private void registerCounters(int slot) {
		if (!this.slotsWithCounters.add(slot)) {
			return;
		}
		String worker = Integer.toString(slot);
		FunctionCounter.builder("prefork.worker.requests", this, (metrics) -> metrics.requests(slot))
			.description("Requests the worker in this slot served, as of its last heartbeat; restarts at 0 with a new worker")
			.baseUnit("requests")
			.tag("worker", worker)
			.register(this.registry);
		FunctionCounter.builder("prefork.worker.cpu", this, (metrics) -> metrics.cpu(slot))
			.description("CPU time (user and system) of the worker in this slot; restarts at 0 with a new worker")
			.baseUnit("seconds")
			.tag("worker", worker)
			.register(this.registry);
	}

	private double requests(int slot) {
		MasterStatus.WorkerStatus worker = this.shown.get(slot);
		return (worker != null) ? worker.requests() : 0;
	}

	private double cpu(int slot) {
		MasterStatus.WorkerStatus worker = this.shown.get(slot);
		double seconds = (worker != null) ? ProcFs.cpuSeconds(worker.pid()) : Double.NaN;
		return Double.isNaN(seconds) ? 0 : seconds;
	}

	/**
	 * The worker whose meters stand for each slot: the ready one of the newest generation
	 * (during a replacement a slot briefly has two); a booting one if none is ready.
	 */
	public static Map<Integer, MasterStatus.WorkerStatus> workersBySlot(MasterStatus status) {
		Map<Integer, MasterStatus.WorkerStatus> bySlot = new java.util.TreeMap<>();
		for (MasterStatus.WorkerStatus worker : status.workers()) {
			if (worker.state() == WorkerState.DRAINING) {
				continue;
			}
			bySlot.merge(worker.slot(), worker, MasterMetrics::preferred);
		}
		return bySlot;
	}

	private static MasterStatus.WorkerStatus preferred(MasterStatus.WorkerStatus a, MasterStatus.WorkerStatus b) {
		boolean aReady = a.state() == WorkerState.READY;
		boolean bReady = b.state() == WorkerState.READY;
		if (aReady != bReady) {
			return aReady ? a : b;
		}
		return (b.generation() > a.generation() || (b.generation() == a.generation() && b.ageSeconds() < a.ageSeconds()))
				? b : a;
	}

	private double count(WorkerState state) {
		return this.status.get().workers().stream().filter((worker) -> worker.state() == state).count();
	}

	private static double acceptQueue(IntSupplier fd, int index) {
		long[] queue = ProcFs.acceptQueue(fd.getAsInt());
		return (queue != null) ? queue[index] : Double.NaN;
	}

	/** The kernel caps the backlog asked for at {@code net.core.somaxconn}. */
	private static double acceptQueueLimit(int backlog) {
		long somaxconn = ProcFs.somaxconn();
		return (somaxconn >= 0) ? Math.min(backlog, somaxconn) : backlog;
	}

	@Override
	public void command(String command, Source source, String signal) {
		Counter.builder("prefork.control.commands")
			.description("Control commands the master received, by door")
			.baseUnit("commands")
			.tags("command", command, "source", source.toString())
			.register(this.registry)
			.increment();
		if (signal != null) {
			Counter.builder("prefork.signals")
				.description("Signals the master received and acted on")
				.baseUnit("signals")
				.tag("signal", signal)
				.register(this.registry)
				.increment();
		}
	}

	@Override
	public void workerSpawned(int slot, String reason) {
		Counter.builder("prefork.worker.spawns")
			.description("Workers started, by reason: start, respawn, scale, reload, recycle, memory, resize, upgrade")
			.baseUnit("spawns")
			.tag("reason", reason)
			.register(this.registry)
			.increment();
	}

	@Override
	public void workerWarmedUp(int slot, long pid, Command.Warmup warmup) {
		this.warmupDuration.record(warmup.took());
		this.warmupRequests.increment(warmup.requests());
		this.warmupErrors.increment(warmup.errors());
	}

	@Override
	public void workerReady(int slot, long pid, Duration bootTime) {
		this.bootDuration.record(bootTime);
	}

	@Override
	public void workerExited(int slot, long pid, ExitReason reason, ExitStatus status) {
		Counter.builder("prefork.worker.exits")
			.description("Workers that exited, by reason")
			.baseUnit("exits")
			.tag("reason", reason.toString())
			.register(this.registry)
			.increment();
	}

	@Override
	public void reloadEnded(String result, Duration duration) {
		Counter.builder("prefork.reloads")
			.description("Reloads that ended, by result: succeeded, failed")
			.baseUnit("reloads")
			.tag("result", result)
			.register(this.registry)
			.increment();
		this.reloadDuration.record(duration);
	}

}
