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

	private final Control control = new Control();

	private final Worker worker = new Worker();

	private final Reload reload = new Reload();

	private final Memory memory = new Memory();

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

	public Memory getMemory() {
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

	public Worker getWorker() {
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

	public Control getControl() {
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
		if (this.worker.readyNice < 0 || this.worker.readyNice > 19) {
			throw invalid("worker.ready-nice", this.worker.readyNice, "must be 0 (none) to 19");
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

	private static InvalidConfigurationPropertyValueException invalid(String name, Object value, String reason) {
		return new InvalidConfigurationPropertyValueException("prefork." + name, value, reason);
	}

	/**
	 * How the master divides memory among its workers.
	 */
	public static class Memory {

		/**
		 * Whether the master sizes each worker's max heap from the memory limit (unless the
		 * user set a heap option for workers) and refuses worker counts that do not fit.
		 */
		private boolean sizeWorkers = true;

		/**
		 * Memory the master and all its workers must fit in. Defaults to the memory limit of
		 * the master's cgroup (a container's limit, systemd's MemoryMax=), else the physical
		 * memory.
		 */
		private DataSize limit;

		/**
		 * Most of the limit that the workers' max heaps may take together; the rest is for the
		 * master and each worker's non-heap memory.
		 */
		private double heapFraction = 0.75;

		/**
		 * Memory a worker takes beside its heap (metaspace, code cache, thread stacks, GC
		 * structures, direct buffers), counted against the limit for each worker.
		 */
		private DataSize workerNonHeap = DataSize.ofMegabytes(200);

		/**
		 * Memory counted against the limit for the master itself.
		 */
		private DataSize masterReserve = DataSize.ofMegabytes(200);

		/**
		 * Smallest max heap a worker is started with: a worker count that would give workers
		 * less does not fit.
		 */
		private DataSize minWorkerHeap = DataSize.ofMegabytes(64);

		public boolean isSizeWorkers() {
			return this.sizeWorkers;
		}

		public void setSizeWorkers(boolean sizeWorkers) {
			this.sizeWorkers = sizeWorkers;
		}

		public DataSize getLimit() {
			return this.limit;
		}

		public void setLimit(DataSize limit) {
			this.limit = limit;
		}

		public double getHeapFraction() {
			return this.heapFraction;
		}

		public void setHeapFraction(double heapFraction) {
			this.heapFraction = heapFraction;
		}

		public DataSize getWorkerNonHeap() {
			return this.workerNonHeap;
		}

		public void setWorkerNonHeap(DataSize workerNonHeap) {
			this.workerNonHeap = workerNonHeap;
		}

		public DataSize getMasterReserve() {
			return this.masterReserve;
		}

		public void setMasterReserve(DataSize masterReserve) {
			this.masterReserve = masterReserve;
		}

		public DataSize getMinWorkerHeap() {
			return this.minWorkerHeap;
		}

		public void setMinWorkerHeap(DataSize minWorkerHeap) {
			this.minWorkerHeap = minWorkerHeap;
		}

		void validate() {
			if (this.limit != null && this.limit.toBytes() <= 0) {
				throw invalid("memory.limit", this.limit, "must be positive, such as 2GB");
			}
			if (!(this.heapFraction > 0 && this.heapFraction <= 1)) {
				throw invalid("memory.heap-fraction", this.heapFraction, "must be above 0 and at most 1, such as 0.75");
			}
			for (DataSize size : new DataSize[] { this.workerNonHeap, this.masterReserve, this.minWorkerHeap }) {
				if (size == null || size.isNegative()) {
					throw invalid("memory", size, "worker-non-heap, master-reserve and min-worker-heap must be 0 or more");
				}
			}
		}

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

	/**
	 * Who may send commands to the master over HTTP.
	 */
	public static class Control {

		/**
		 * Bearer token (Authorization: Bearer <token>) that the prefork endpoint (status and
		 * commands), every write operation of any endpoint and every request for the
		 * application's own endpoints (which the workers answer) require; health and
		 * prometheus stay open to probes and scrapers. Required when the management server listens on a
		 * non-loopback address.
		 */
		private String token;

		/**
		 * File that holds the bearer token (instead of prefork.control.token): owned by the
		 * master's user and readable by no one else (mode 600 or 400). Recommended: a
		 * command line is readable by every user of the machine.
		 */
		private File tokenFile;

		/**
		 * Host names the management server answers to besides IP addresses, localhost and
		 * management.server.address (the Host header, against DNS rebinding); .example.com
		 * for a domain and its subdomains.
		 */
		private List<String> allowedHosts = new ArrayList<>();

		public String getToken() {
			return this.token;
		}

		public void setToken(String token) {
			this.token = token;
		}

		public File getTokenFile() {
			return this.tokenFile;
		}

		public void setTokenFile(File tokenFile) {
			this.tokenFile = tokenFile;
		}

		public List<String> getAllowedHosts() {
			return this.allowedHosts;
		}

		public void setAllowedHosts(List<String> allowedHosts) {
			this.allowedHosts = allowedHosts;
		}

	}

	/**
	 * Worker settings.
	 */
	public static class Worker {

		/**
		 * Extra JVM options for workers only, separated by spaces, such as "-Xmx512m
		 * -XX:+UseSerialGC"; a value with spaces in double or single quotes, as a shell
		 * takes it: -Dgreeting="hello world". Workers otherwise get exactly the master's JVM
		 * options.
		 */
		private String jvmArgs = "";

		/**
		 * Whether each worker sees its share of the processors (-XX:ActiveProcessorCount, at
		 * least 1) and of Spring Boot's 200 request threads of Tomcat or Jetty
		 * (server.tomcat.threads.max, server.jetty.threads.max, at least 25) for a Spring MVC
		 * application, unless the user set them.
		 */
		private boolean shareCpus = true;

		/**
		 * Nice levels (0-19) a worker's threads go below the master's once its application has started (warming up, or ready). Linux
		 * shares the CPU per thread: under load, the serving workers' busy request threads
		 * would leave a worker that boots or warms up beside them (a reload, a replacement)
		 * a sliver of it. 0 keeps workers at the master's priority.
		 */
		private int readyNice = 10;

		public int getReadyNice() {
			return this.readyNice;
		}

		public void setReadyNice(int readyNice) {
			this.readyNice = readyNice;
		}

		public boolean isShareCpus() {
			return this.shareCpus;
		}

		public void setShareCpus(boolean shareCpus) {
			this.shareCpus = shareCpus;
		}

		public String getJvmArgs() {
			return this.jvmArgs;
		}

		public void setJvmArgs(String jvmArgs) {
			this.jvmArgs = jvmArgs;
		}

		/**
		 * The options, split as a shell splits words: on spaces outside quotes, the quotes
		 * removed, a backslash keeping the next character outside single quotes.
		 * @throws InvalidConfigurationPropertyValueException for a quote that is not closed
		 */
		List<String> jvmArgList() {
			List<String> options = new ArrayList<>();
			StringBuilder option = null;
			char quote = 0;
			String text = (this.jvmArgs != null) ? this.jvmArgs : "";
			for (int i = 0; i < text.length(); i++) {
				char c = text.charAt(i);
				if (quote == 0 && Character.isWhitespace(c)) {
					if (option != null) {
						options.add(option.toString());
						option = null;
					}
					continue;
				}
				option = (option != null) ? option : new StringBuilder();
				if (c == '\\' && i + 1 < text.length()
						&& (quote == 0 || (quote == '"' && (text.charAt(i + 1) == '"' || text.charAt(i + 1) == '\\')))) {
					// as a shell: outside quotes a backslash keeps the next character, in double
					// quotes only a quote or a backslash, in single quotes nothing
					option.append(text.charAt(++i));
				}
				else if (quote == 0 && (c == '"' || c == '\'')) {
					quote = c;
				}
				else if (c == quote) {
					quote = 0;
				}
				else {
					option.append(c);
				}
			}
			if (quote != 0) {
				throw invalid("worker.jvm-args", text, "a " + quote + " quote is not closed");
			}
			if (option != null) {
				options.add(option.toString());
			}
			if (options.contains("")) {
				throw invalid("worker.jvm-args", text, "an empty argument ('' or \"\") would be taken for the main class");
			}
			return options;
		}

	}

}
