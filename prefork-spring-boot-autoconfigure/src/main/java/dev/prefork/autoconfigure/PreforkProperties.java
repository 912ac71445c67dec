package dev.prefork.autoconfigure;

import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.prefork.master.ListenAddress;
import dev.prefork.master.MasterSettings;
import dev.prefork.master.ReloadStrategy;
import dev.prefork.master.WorkerBudget;
import dev.prefork.preload.ClassDataArchive;
import dev.prefork.worker.WarmupSettings;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of the pre-fork master and its workers.
 */
@ConfigurationProperties("prefork")
public class PreforkProperties {

	/**
	 * Whether to run the application under a pre-fork master.
	 */
	private boolean enabled = true;

	/**
	 * Number of worker processes.
	 */
	private int workers = 2;

	/**
	 * Most workers that scaling (TTIN, the scale endpoint) may ask for.
	 */
	private int maxWorkers = 64;

	/**
	 * Requests after which a worker is replaced by a fresh one (readiness-gated, one at a
	 * time). 0 never recycles.
	 */
	private long maxRequests = 0;

	/**
	 * Up to this many requests more than max-requests, drawn at random per worker, so that
	 * workers do not all recycle at once.
	 */
	private long maxRequestsJitter = 0;

	/**
	 * Time after its start at which a worker is replaced by a fresh one (readiness-gated, one
	 * at a time, like max-requests; uWSGI's max-worker-lifetime), such as 12h. Unset or 0
	 * never recycles by age.
	 */
	private Duration maxWorkerLifetime;

	/** Ten years: more is a typo, and the arithmetic of a deadline must not overflow. */
	private static final Duration LONGEST_LIFETIME = Duration.ofDays(3650);

	/**
	 * Up to this much longer than max-worker-lifetime, drawn at random per worker, so that
	 * workers started together do not all recycle together.
	 */
	private Duration maxWorkerLifetimeJitter = Duration.ZERO;

	/**
	 * Time a ready worker may go without a heartbeat before it is killed (after a thread
	 * dump) and replaced. A heartbeat is a task run on the worker's request thread pool.
	 */
	private Duration timeout = Duration.ofSeconds(30);

	/**
	 * Time workers get to finish in-flight requests on a graceful stop before they are
	 * killed.
	 */
	private Duration gracefulTimeout = Duration.ofSeconds(30);

	/**
	 * Time a new worker's application may take to start (until it begins its warm-up, or is
	 * ready without one) before it is killed; the warm-up has its own limit
	 * (prefork.warmup.duration).
	 */
	private Duration bootTimeout = Duration.ofSeconds(120);

	/**
	 * Length of the listening socket's accept queue (capped by net.core.somaxconn).
	 */
	private int backlog = 2048;

	/**
	 * File to write the master's pid to. Not written when unset.
	 */
	private File pidfile;

	/**
	 * User (name or uid) the workers run as, for a master started as root: it binds the
	 * port, and every worker JVM starts as this user through util-linux setpriv. Unset:
	 * workers run as the master's user.
	 */
	private String user;

	/**
	 * Group (name or gid) the workers run as with prefork.user. Unset: the user's own group;
	 * the user's supplementary groups are given either way.
	 */
	private String group;

	/**
	 * Ready workers the master needs for its health (and its Kubernetes readiness probe)
	 * to be UP.
	 */
	private int minReadyWorkers = 1;

	/**
	 * Named pipe the master creates and reads single-character commands from, as uWSGI's
	 * master FIFO: r reload, q graceful stop, Q quick stop, + one worker more, - one fewer,
	 * l reopen logs, u upgrade.
	 */
	private File masterFifo;

	/**
	 * File whose modification (touch) makes the master reload.
	 */
	private File touchReload;

	/**
	 * Sends a command to the master named by prefork.pidfile and exits, instead of starting
	 * the application: reload, stop, quick-stop, scale-up, scale-down, reopen-logs, upgrade or
	 * stop-workers.
	 */
	private String signal;

	/**
	 * Whether workers start with a class-data archive of the application (AppCDS on JDK 17
	 * to 23, the AOT cache from JDK 24), built once per jar and JVM by a training run:
	 * faster worker boot, class metadata shared between workers. auto uses it where the
	 * application runs from a jar and the archive directory is writable; on makes the master
	 * refuse to start otherwise. Without an archive the first workers start cold and it is
	 * built once they are ready; build builds it (or checks it) and exits without serving,
	 * for a Dockerfile RUN step.
	 */
	private ClassDataArchive.Mode preload = ClassDataArchive.Mode.AUTO;

	/**
	 * Directory for class-data archives. Defaults to .prefork next to the application jar.
	 */
	private File preloadDir;

	/**
	 * GPU ids to hand out to workers, one per worker slot in turn, as CUDA_VISIBLE_DEVICES
	 * (slot i gets gpus[i % count]). Defaults to the USE_GPUS environment variable
	 * (comma-separated); empty for none.
	 */
	private List<String> gpus = new ArrayList<>();

	/**
	 * Classes implementing dev.prefork.hooks.ServerHooks to create in the master's context,
	 * besides those listed in META-INF/spring/dev.prefork.hooks.ServerHooks.imports.
	 */
	private List<String> hooks = new ArrayList<>();

	/**
	 * Whether the master makes itself a subreaper (Linux PR_SET_CHILD_SUBREAPER), so that
	 * processes your workers leave behind are reparented to it and reaped. A master that is
	 * PID 1 (a container) reaps them anyway.
	 */
	private boolean subreaper = false;

	/**
	 * Resident memory above which a ready worker is replaced, readiness-gated, like
	 * max-requests (uWSGI's reload-on-rss). Unset for never.
	 */
	private DataSize maxWorkerMemory;

	/**
	 * Resident memory above which a worker is killed at once and replaced (uWSGI's
	 * evil-reload-on-rss). Unset for never; above max-worker-memory when both are set.
	 */
	private DataSize maxWorkerMemoryKill;

	@NestedConfigurationProperty
	private final ControlProperties control = new ControlProperties();

	@NestedConfigurationProperty
	private final WorkerProperties worker = new WorkerProperties();

	private final Reload reload = new Reload();

	@NestedConfigurationProperty
	private final MemoryProperties memory = new MemoryProperties();

	private final Datasource datasource = new Datasource();

	@NestedConfigurationProperty
	private final WarmupSettings warmup = new WarmupSettings();

	@NestedConfigurationProperty
	private final UnixSocketProperties unixSocket = new UnixSocketProperties();

	public UnixSocketProperties getUnixSocket() {
		return this.unixSocket;
	}

	public WarmupSettings getWarmup() {
		return this.warmup;
	}

	/**
	 * The keys a reload does not apply, with their values: the master set them up at start
	 * (files it owns, the FIFO, the archive, the hooks, the management server's guard), and a
	 * change takes effect at the next start.
	 */
	Map<String, Object> startOnly() {
		Map<String, Object> keys = new LinkedHashMap<>();
		keys.put("prefork.pidfile", this.pidfile);
		keys.put("prefork.user", this.user);
		keys.put("prefork.group", this.group);
		keys.put("prefork.master-fifo", this.masterFifo);
		keys.put("prefork.touch-reload", this.touchReload);
		keys.put("prefork.subreaper", this.subreaper);
		keys.put("prefork.preload", this.preload);
		keys.put("prefork.preload-dir", this.preloadDir);
		keys.put("prefork.hooks", List.copyOf(this.hooks));
		keys.put("prefork.control.token", this.control.getToken());
		keys.put("prefork.control.token-file", this.control.getTokenFile());
		keys.put("prefork.control.allowed-hosts", List.copyOf(this.control.getAllowedHosts()));
		return keys;
	}

	/** The longest a class-data archive's training run may take: a start, and a warm-up. */
	public Duration trainingTimeout() {
		return this.bootTimeout.plus(this.warmup.isEnabled() ? this.warmup.getDuration() : Duration.ZERO)
			.plus(dev.prefork.master.MasterSettings.WARMUP_GRACE);
	}

	public DataSize getMaxWorkerMemory() {
		return this.maxWorkerMemory;
	}

	public void setMaxWorkerMemory(DataSize maxWorkerMemory) {
		this.maxWorkerMemory = maxWorkerMemory;
	}

	public DataSize getMaxWorkerMemoryKill() {
		return this.maxWorkerMemoryKill;
	}

	public void setMaxWorkerMemoryKill(DataSize maxWorkerMemoryKill) {
		this.maxWorkerMemoryKill = maxWorkerMemoryKill;
	}

	public MemoryProperties getMemory() {
		return this.memory;
	}

	public Datasource getDatasource() {
		return this.datasource;
	}

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public int getMaxWorkers() {
		return this.maxWorkers;
	}

	public void setMaxWorkers(int maxWorkers) {
		this.maxWorkers = maxWorkers;
	}

	public Duration getMaxWorkerLifetime() {
		return this.maxWorkerLifetime;
	}

	public void setMaxWorkerLifetime(Duration maxWorkerLifetime) {
		this.maxWorkerLifetime = maxWorkerLifetime;
	}

	public Duration getMaxWorkerLifetimeJitter() {
		return this.maxWorkerLifetimeJitter;
	}

	public void setMaxWorkerLifetimeJitter(Duration maxWorkerLifetimeJitter) {
		this.maxWorkerLifetimeJitter = maxWorkerLifetimeJitter;
	}

	public long getMaxRequests() {
		return this.maxRequests;
	}

	public void setMaxRequests(long maxRequests) {
		this.maxRequests = maxRequests;
	}

	public long getMaxRequestsJitter() {
		return this.maxRequestsJitter;
	}

	public void setMaxRequestsJitter(long maxRequestsJitter) {
		this.maxRequestsJitter = maxRequestsJitter;
	}

	public Reload getReload() {
		return this.reload;
	}

	public int getWorkers() {
		return this.workers;
	}

	public void setWorkers(int workers) {
		this.workers = workers;
	}

	public Duration getTimeout() {
		return this.timeout;
	}

	public void setTimeout(Duration timeout) {
		this.timeout = timeout;
	}

	public Duration getGracefulTimeout() {
		return this.gracefulTimeout;
	}

	public void setGracefulTimeout(Duration gracefulTimeout) {
		this.gracefulTimeout = gracefulTimeout;
	}

	public Duration getBootTimeout() {
		return this.bootTimeout;
	}

	public void setBootTimeout(Duration bootTimeout) {
		this.bootTimeout = bootTimeout;
	}

	public int getBacklog() {
		return this.backlog;
	}

	public void setBacklog(int backlog) {
		this.backlog = backlog;
	}

	public File getPidfile() {
		return this.pidfile;
	}

	public void setPidfile(File pidfile) {
		this.pidfile = pidfile;
	}

	public String getUser() {
		return this.user;
	}

	public void setUser(String user) {
		this.user = user;
	}

	public String getGroup() {
		return this.group;
	}

	public void setGroup(String group) {
		this.group = group;
	}

	public WorkerProperties getWorker() {
		return this.worker;
	}

	public int getMinReadyWorkers() {
		return this.minReadyWorkers;
	}

	public void setMinReadyWorkers(int minReadyWorkers) {
		this.minReadyWorkers = minReadyWorkers;
	}

	public File getMasterFifo() {
		return this.masterFifo;
	}

	public void setMasterFifo(File masterFifo) {
		this.masterFifo = masterFifo;
	}

	public File getTouchReload() {
		return this.touchReload;
	}

	public void setTouchReload(File touchReload) {
		this.touchReload = touchReload;
	}

	public String getSignal() {
		return this.signal;
	}

	public void setSignal(String signal) {
		this.signal = signal;
	}

	public ClassDataArchive.Mode getPreload() {
		return this.preload;
	}

	public void setPreload(ClassDataArchive.Mode preload) {
		this.preload = preload;
	}

	public File getPreloadDir() {
		return this.preloadDir;
	}

	public void setPreloadDir(File preloadDir) {
		this.preloadDir = preloadDir;
	}

	public List<String> getGpus() {
		return this.gpus;
	}

	public void setGpus(List<String> gpus) {
		this.gpus = gpus;
	}

	public boolean isSubreaper() {
		return this.subreaper;
	}

	public void setSubreaper(boolean subreaper) {
		this.subreaper = subreaper;
	}

	public List<String> getHooks() {
		return this.hooks;
	}

	public void setHooks(List<String> hooks) {
		this.hooks = hooks;
	}

	public ControlProperties getControl() {
		return this.control;
	}

	/**
	 * Checks every value and turns them into the master's settings.
	 * @param listenHost {@code server.address}, empty for every address
	 * @param listenPort {@code server.port}
	 * @return the settings
	 * @throws InvalidConfigurationPropertyValueException naming the first bad property
	 */
	MasterSettings toMasterSettings(String listenHost, int listenPort) {
		return toMasterSettings(listenHost, listenPort, WorkerBudget.NONE);
	}

	/**
	 * Checks every value and turns them into the master's settings.
	 * @param listenHost {@code server.address}, empty for every address
	 * @param listenPort {@code server.port}
	 * @param budget each worker's share of the machine (see {@link WorkerBudgets})
	 * @return the settings
	 * @throws InvalidConfigurationPropertyValueException naming the first bad property
	 */
	MasterSettings toMasterSettings(String listenHost, int listenPort, WorkerBudget budget) {
		if (this.workers < 1) {
			throw invalid("workers", this.workers, "must be at least 1");
		}
		if (this.workers > this.maxWorkers) {
			throw invalid("workers", this.workers, "must be at most prefork.max-workers (" + this.maxWorkers + ")");
		}
		if (this.maxRequests < 0) {
			throw invalid("max-requests", this.maxRequests, "must be 0 (never recycle) or more");
		}
		if (this.maxRequestsJitter < 0) {
			throw invalid("max-requests-jitter", this.maxRequestsJitter, "must be 0 or more");
		}
		if (this.maxWorkerLifetime != null
				&& (this.maxWorkerLifetime.isNegative() || this.maxWorkerLifetime.compareTo(LONGEST_LIFETIME) > 0)) {
			throw invalid("max-worker-lifetime", this.maxWorkerLifetime,
					"must be 0 (never recycle by age) to " + LONGEST_LIFETIME.toDays() + "d, such as 12h");
		}
		if (this.maxWorkerLifetimeJitter == null || this.maxWorkerLifetimeJitter.isNegative()
				|| this.maxWorkerLifetimeJitter.compareTo(LONGEST_LIFETIME) > 0) {
			throw invalid("max-worker-lifetime-jitter", this.maxWorkerLifetimeJitter,
					"must be 0 to " + LONGEST_LIFETIME.toDays() + "d, such as 30m");
		}
		requirePositive("timeout", this.timeout);
		requirePositive("graceful-timeout", this.gracefulTimeout);
		requirePositive("boot-timeout", this.bootTimeout);
		if (this.backlog < 1) {
			throw invalid("backlog", this.backlog, "must be at least 1");
		}
		if (this.minReadyWorkers < 0) {
			throw invalid("min-ready-workers", this.minReadyWorkers, "must be 0 or more");
		}
		if (this.worker.getReadyNice() < 0 || this.worker.getReadyNice() > 19) {
			throw invalid("worker.ready-nice", this.worker.getReadyNice(), "must be 0 (none) to 19");
		}
		this.memory.validate();
		WarmupSettings.Problem warmupProblem = this.warmup.problem();
		if (warmupProblem != null) {
			throw new InvalidConfigurationPropertyValueException(warmupProblem.name(), warmupProblem.value(),
					warmupProblem.reason());
		}
		if (this.maxWorkerMemory != null && this.maxWorkerMemory.toBytes() <= 0) {
			throw invalid("max-worker-memory", this.maxWorkerMemory, "must be positive, such as 512MB");
		}
		if (this.maxWorkerMemoryKill != null && (this.maxWorkerMemoryKill.toBytes() <= 0 || (this.maxWorkerMemory != null
				&& this.maxWorkerMemoryKill.toBytes() <= this.maxWorkerMemory.toBytes()))) {
			throw invalid("max-worker-memory-kill", this.maxWorkerMemoryKill,
					"must be positive and above prefork.max-worker-memory (" + this.maxWorkerMemory + ")");
		}
		return new MasterSettings(this.workers, this.maxWorkers, this.timeout, this.gracefulTimeout, this.bootTimeout,
				this.maxRequests, this.maxRequestsJitter, this.reload.getStrategy(), this.worker.jvmArgList(),
				new ListenAddress(listenHost, listenPort, this.backlog, this.unixSocket.toUnixSocket()), gpuList(System.getenv("USE_GPUS")), budget,
				this.minReadyWorkers, (this.maxWorkerLifetime != null) ? this.maxWorkerLifetime : Duration.ZERO,
				this.maxWorkerLifetimeJitter);
	}

	/** prefork.gpus, or else USE_GPUS, checked. */
	List<String> gpuList(String useGpus) {
		boolean fromProperty = !this.gpus.isEmpty();
		List<String> ids = fromProperty ? this.gpus.stream().map(String::trim).toList()
				: (useGpus == null || useGpus.isBlank()) ? List.of()
						: Arrays.stream(useGpus.split(",")).map(String::trim).toList();
		String name = fromProperty ? "gpus" : "gpus (from USE_GPUS)";
		for (String id : ids) {
			if (!id.matches("[A-Za-z0-9][A-Za-z0-9:/._-]*")) {
				throw invalid(name, String.join(",", ids),
						"'" + id + "' is not a GPU id: use indexes (0,1) or UUIDs (GPU-...), separated by commas");
			}
		}
		if (ids.stream().distinct().count() != ids.size()) {
			throw invalid(name, String.join(",", ids), "lists a GPU twice");
		}
		return ids;
	}

	private static void requirePositive(String name, Duration value) {
		if (value == null || value.isNegative() || value.isZero()) {
			throw invalid(name, value, "must be a positive duration, such as 30s");
		}
	}

	static InvalidConfigurationPropertyValueException invalid(String name, Object value, String reason) {
		return new InvalidConfigurationPropertyValueException("prefork." + name, value, reason);
	}

	/**
	 * The application's database, as prefork sees it.
	 */
	public static class Datasource {

		/**
		 * Connections the database accepts from this application; the master warns at start
		 * when workers times the pool size (spring.datasource.hikari.maximum-pool-size) is more.
		 */
		private Integer maxConnections;

		public Integer getMaxConnections() {
			return this.maxConnections;
		}

		public void setMaxConnections(Integer maxConnections) {
			this.maxConnections = maxConnections;
		}

	}

	/**
	 * Reload settings.
	 */
	public static class Reload {

		/**
		 * How a reload (HUP) replaces the workers: one at a time, each new worker ready
		 * before an old one stops (rolling), or all new workers first (all-at-once, twice
		 * the memory for a while).
		 */
		private ReloadStrategy strategy = ReloadStrategy.ROLLING;

		public ReloadStrategy getStrategy() {
			return this.strategy;
		}

		public void setStrategy(ReloadStrategy strategy) {
			this.strategy = strategy;
		}

	}

}
