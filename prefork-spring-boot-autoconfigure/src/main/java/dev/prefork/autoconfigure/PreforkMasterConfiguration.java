package dev.prefork.autoconfigure;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.LongSupplier;

import dev.prefork.endpoints.WorkerEndpoints;
import dev.prefork.hooks.ServerHooks;
import dev.prefork.logging.LogFiles;
import dev.prefork.master.ListenAddress;
import dev.prefork.master.Master;
import dev.prefork.master.MasterEvents;
import dev.prefork.master.MasterSettings;
import dev.prefork.master.RecordedPaths;
import dev.prefork.master.SettingsLoader;
import dev.prefork.metrics.MasterMetrics;
import dev.prefork.metrics.PreforkPrometheusScrapeEndpoint;
import dev.prefork.metrics.WorkerScrapes;
import dev.prefork.os.JvmCommandLine;
import dev.prefork.os.OwnedFiles;
import dev.prefork.os.MasterFootprint;
import dev.prefork.os.MemoryCgroup;
import dev.prefork.os.ProcFs;
import dev.prefork.os.OrphanReaper;
import dev.prefork.systemd.SocketActivation;
import dev.prefork.systemd.SystemdNotify;
import dev.prefork.os.ListenSocket;
import dev.prefork.os.ListenSockets;
import dev.prefork.os.MasterFifo;
import dev.prefork.touchreload.TouchReload;
import dev.prefork.os.NativeMasterLauncher;
import dev.prefork.os.NativeWorkerLauncher;
import dev.prefork.pidfile.Pidfile;
import dev.prefork.os.UpgradeHandoff;
import dev.prefork.os.WorkerUser;
import dev.prefork.preload.ClassDataArchive;
import dev.prefork.protocol.WorkerEnvironment;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointProperties;
import org.springframework.boot.actuate.endpoint.web.PathMappedEndpoints;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusScrapeEndpoint;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.ApplicationArguments;
import org.springframework.core.env.Environment;
import org.springframework.util.function.SingletonSupplier;

/**
 * The master's beans: validated settings, pidfile, listening socket, the master loop, and
 * what serves it over HTTP.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(PreforkProperties.class)
@Import(ServerHooksRegistrar.class)
class PreforkMasterConfiguration {

	private static final Log logger = LogFactory.getLog(PreforkMasterConfiguration.class);

	/** How long a scrape waits for the slowest worker's meters; Prometheus's own timeout is 10 s. */
	static final Duration WORKER_SCRAPE_TIMEOUT = Duration.ofSeconds(2);

	/** Scrapes that run at once: half the master's request threads, the other half stays for probes and commands. */
	private static final int MAX_SCRAPES = MasterEnvironment.MAX_THREADS / 2;

	@Bean
	MasterSettings preforkMasterSettings(Environment environment, PreforkProperties properties) {
		MasterSettings settings = properties.toMasterSettings(environment.getProperty(MasterEnvironment.LISTEN_ADDRESS, ""),
				environment.getProperty(MasterEnvironment.LISTEN_PORT, Integer.class, MasterEnvironment.DEFAULT_LISTEN_PORT),
				WorkerBudgets.of(properties, environment));
		String tooMany = settings.budget().memory().fitProblem(settings.workers());
		if (tooMany != null) {
			throw new PreforkStartupException("The workers do not fit in memory: " + tooMany + ".",
					"Lower prefork.workers, raise the memory limit (the container's, or prefork.memory.limit if the "
							+ "master got it wrong), or lower prefork.memory.min-worker-heap or prefork.memory.worker-non-heap "
							+ "if you measured that your workers need less.");
		}
		String pools = WorkerBudgets.poolWarning(properties, environment, settings.workers());
		if (pools != null) {
			logger.warn(pools);
		}
		return settings;
	}

	@Bean(destroyMethod = "delete")
	PidfileHolder preforkPidfile(PreforkProperties properties) {
		if (properties.getPidfile() == null) {
			return new PidfileHolder(null, null);
		}
		// The new master of an upgrade writes <pidfile>.2 until it is promoted.
		Path path = properties.getPidfile().toPath().toAbsolutePath();
		Path written = upgradeHandoff().isPresent() ? path.resolveSibling(path.getFileName() + ".2") : path;
		try {
			return new PidfileHolder(path, Pidfile.write(written, ProcessHandle.current().pid()));
		}
		catch (Pidfile.AlreadyRunningException ex) {
			throw new PreforkStartupException(ex.getMessage() + ": another master seems to be running.",
					"Stop that master first (kill -TERM " + ex.pid() + "), or set prefork.pidfile to another file. If pid "
							+ ex.pid() + " is not a prefork master, delete " + ex.path() + ".");
		}
		catch (Pidfile.UntrustedException ex) {
			throw new PreforkStartupException("Refusing prefork.pidfile " + ex.getMessage() + ".",
					"Remove it (another user may have planted it) and keep the pidfile in a directory such as /run/<app> "
							+ "that only this user can write.", ex);
		}
		catch (IOException ex) {
			throw new PreforkStartupException("Cannot write prefork.pidfile " + written + ": " + ex.getMessage(),
					"Make sure the directory exists and is writable by this user.", ex);
		}
	}

	@Bean(destroyMethod = "close")
	ListenSockets preforkListenSockets(MasterSettings settings, PidfileHolder pidfile,
			ObjectProvider<WorkerStack> stack) {
		// Registered by the runner; absent only in tests of this configuration alone.
		WorkerStack workers = stack.getIfAvailable(() -> new WorkerStack("Tomcat"));
		ListenAddress address = settings.listen();
		// Checked before binding, so that a refused start leaves the path alone; and after, for systemd's socket.
		refuseUnsupported(address.isUnix() ? workers.unixSocketProblem(address.unix().path()) : null, null);
		ListenSockets sockets = listenSockets(address);
		String passed = sockets.currentPath();
		refuseUnsupported((passed != null) ? workers.unixSocketProblem(passed) : null, sockets);
		return sockets;
	}

	private static void refuseUnsupported(String problem, ListenSockets opened) {
		if (problem != null) {
			if (opened != null) {
				opened.close();
			}
			throw new PreforkStartupException(Character.toUpperCase(problem.charAt(0)) + problem.substring(1) + ".",
					"Serve TCP (server.port; without prefork.unix-socket.path, or a ListenStream= with a port) behind the "
							+ "reverse proxy, or run the application on Tomcat or Reactor Netty.");
		}
	}

	private ListenSockets listenSockets(ListenAddress address) {
		Optional<UpgradeHandoff> handoff = upgradeHandoff();
		if (handoff.isPresent()) {
			ListenSocket inherited;
			try {
				inherited = ListenSocket.inherit(handoff.get().listenFd());
			}
			catch (IOException ex) {
				throw new PreforkStartupException("The listening socket handed over by the old master is unusable: "
						+ ex.getMessage() + ".", "Upgrade with kill -USR2 on a prefork master only.", ex);
			}
			if (serves(inherited, address)) {
				inherited.removeFileAtClose();
				return new ListenSockets(address, inherited);
			}
			if (inherited.path() != null && !address.isUnix()) {
				// A Unix socket without prefork.unix-socket.path: the one systemd passed the old master.
				logger.info("Serving the Unix socket the old master served (" + inherited + "), as systemd passed it; "
						+ "server.address and server.port (" + address + ") are ignored");
				return new ListenSockets(address, inherited);
			}
			logger.warn("The listening address changed: the old master serves " + inherited + ", this master binds "
					+ address);
			inherited.close();
		}
		Optional<ListenSocket> activated;
		try {
			activated = SocketActivation.passedSocket(System.getenv(), ProcessHandle.current().pid());
		}
		catch (IOException ex) {
			throw new PreforkStartupException("systemd passed a socket the master cannot serve: " + ex.getMessage() + ".",
					"Check the socket unit: ListenStream= with the default Accept=no.", ex);
		}
		if (activated.isPresent()) {
			ListenSocket socket = activated.get();
			logger.info("Serving the listening socket passed by systemd (" + socket + ")"
					+ (serves(socket, address) ? "" : "; server.address and server.port (" + address + ") are ignored"));
			return new ListenSockets(address, socket);
		}
		return new ListenSockets(address, bind(address));
	}

	private static boolean serves(ListenSocket socket, ListenAddress address) {
		if (address.isUnix() || socket.path() != null) {
			return address.isUnix() && address.unix().path().equals(socket.path());
		}
		try {
			boolean samePort = address.port() == 0 || address.port() == socket.port();
			boolean sameHost = address.host().isEmpty() ? socket.address().isAnyLocalAddress()
					: InetAddress.getByName(address.host()).equals(socket.address());
			return samePort && sameHost;
		}
		catch (IOException ex) {
			return false;
		}
	}

	private static ListenSocket bind(ListenAddress address) {
		try {
			return ListenSockets.bind(address);
		}
		catch (BindException ex) {
			if (address.isUnix()) {
				throw new PreforkStartupException("The master could not bind its Unix socket: " + ex.getMessage() + ".",
						"Stop the process that listens on it (ss -lxp | grep " + address.unix().path()
								+ "), or set prefork.unix-socket.path to another path.",
						ex);
			}
			throw new PreforkStartupException("The master could not bind its listening socket: " + ex.getMessage() + ".",
					"Stop the process that listens on port " + address.port() + " (ss -ltnp 'sport = :" + address.port()
							+ "') or set server.port to a free port.",
					ex);
		}
		catch (IOException ex) {
			throw new PreforkStartupException("The master could not open its listening socket on " + address + ": "
					+ ex.getMessage() + ".", address.isUnix()
							? "Check prefork.unix-socket.path (its directory must exist and be writable by this user) "
									+ "and prefork.unix-socket.group."
							: "Check server.address and server.port.",
					ex);
		}
	}

	@Bean
	RecordedPaths preforkRecordedPaths() {
		// The new master of an upgrade starts with what the old master recorded.
		return RecordedPaths.seededWith(upgradeHandoff().isPresent() ? System.getenv(WorkerEnvironment.WARMUP_PATHS) : null);
	}

	/**
	 * The master's command line, which workers, training runs and a new master copy, with
	 * where its secrets were given (workers and training runs do not inherit them).
	 */
	@Bean
	JvmCommandLine preforkCommandLine(ObjectProvider<ApplicationArguments> arguments) throws IOException {
		ApplicationArguments given = arguments.getIfAvailable();
		JvmCommandLine commandLine = JvmCommandLine.ofCurrentJvm(
				MasterSecretSources.of((given != null) ? given.getSourceArgs() : new String[0]).secrets());
		List<String> application = commandLine.application();
		if (application.size() == 2 && application.get(0).equals("-jar")) {
			// Every worker runs the jar again: whoever can replace it runs code as this user.
			String untrusted = OwnedFiles.readOnlyPathProblem(Path.of(application.get(1)));
			if (untrusted != null) {
				logger.warn("The application jar " + application.get(1) + " can be replaced by another user (" + untrusted
						+ "): every worker started from now on would run what they put there, as this user. Keep the "
						+ "jar in directories only root and this user can write");
			}
		}
		return commandLine;
	}

	@Bean(destroyMethod = "close")
	ClassDataArchive preforkClassDataArchive(PreforkProperties properties, RecordedPaths paths,
			JvmCommandLine commandLine) {
		ClassDataArchive archive;
		try {
			archive = ClassDataArchive.of(properties.getPreload(),
					(properties.getPreloadDir() != null) ? properties.getPreloadDir().toPath() : null,
					commandLine, properties.trainingTimeout());
		}
		catch (IllegalStateException ex) {
			throw new PreforkStartupException("prefork.preload is on, but workers cannot use a class-data archive: "
					+ ex.getMessage() + ".", "Start the application with java -jar, set prefork.preload-dir to a "
							+ "writable directory, or set prefork.preload=auto to start workers cold where it is not "
							+ "possible.",
					ex);
		}
		// The first workers start at once, cold if there is no archive yet; only the new master
		// of an upgrade, with the old master serving, waits for it to be built.
		archive.prepare(upgradeHandoff().isPresent());
		return archive.withTrainingEnvironment(() -> warmupEnvironment(paths));
	}

	/** The recorded warm-up paths, for a training run. */
	private static Map<String, String> warmupEnvironment(RecordedPaths paths) {
		List<String> top = paths.top();
		return top.isEmpty() ? Map.of() : Map.of(WorkerEnvironment.WARMUP_PATHS, String.join("\n", top));
	}

	@Bean
	NativeWorkerLauncher preforkWorkerLauncher(ListenSockets sockets, JvmCommandLine commandLine, ClassDataArchive archive,
			RecordedPaths paths, ObjectProvider<ServerHooks> hooks, PreforkProperties properties) {
		return new NativeWorkerLauncher(sockets, commandLine, archive::commandLine,
				Map.of(WorkerEnvironment.MASTER_PID, Long.toString(ProcessHandle.current().pid())))
			.beforeLaunch(serverHooks(hooks))
			.recordingPathsIn(paths)
			.runningAs(workerUser(properties, archive));
	}

	/**
	 * The user workers run as (prefork.user, prefork.group), or null for the master's own;
	 * its group may read the class-data archives.
	 */
	private static WorkerUser workerUser(PreforkProperties properties, ClassDataArchive archive) {
		WorkerUser user = resolveWorkerUser(properties);
		if (user != null) {
			logger.info("Workers run as " + user.describe() + ", through " + user.setpriv());
			try {
				archive.readableByGroup(user.gid());
			}
			catch (IOException ex) {
				throw new PreforkStartupException("Cannot let the workers' group read the class-data archives: "
						+ ex.getMessage() + ".", "Set prefork.preload-dir to a directory the master can change, or "
								+ "prefork.preload=off.", ex);
			}
		}
		return user;
	}

	/** prefork.user and prefork.group checked against this machine; null for the master's own user. */
	static WorkerUser resolveWorkerUser(PreforkProperties properties) {
		try {
			return WorkerUser.resolve(properties.getUser(), properties.getGroup());
		}
		catch (IOException ex) {
			throw new PreforkStartupException("Cannot run the workers as another user: " + ex.getMessage() + ".",
					"Start the master as root with prefork.user set to an existing user (and prefork.group to an "
							+ "existing group, or unset for the user's own), install util-linux (setpriv) where it is "
							+ "missing, or remove prefork.user to run the workers as the master's user.",
					ex);
		}
	}

	/** The user's server hooks, one observer each, in their order. */
	private static List<ServerHooksEvents> serverHooks(ObjectProvider<ServerHooks> hooks) {
		return hooks.orderedStream().map((each) -> new ServerHooksEvents(each, ProcessHandle.current().pid())).toList();
	}

	@Bean
	Master preforkMaster(MasterSettings settings, ListenSockets sockets, NativeWorkerLauncher launcher,
			SettingsLoader preforkSettingsLoader, ClassDataArchive archive, RecordedPaths paths,
			ObjectProvider<ServerHooks> hooks, JvmCommandLine commandLine) throws IOException {
		long pid = ProcessHandle.current().pid();
		LogFiles.warnIfOthersCanReplace();
		Master master = new Master(settings, launcher, preforkSettingsLoader, LogFiles::reopen,
				() -> System.nanoTime() / 1_000_000, pid)
			.upgradeWith(new NativeMasterLauncher(sockets, commandLine, pid).handingOver(paths))
			.countingOomKills(oomKillCounter())
			.measuringMemory((worker) -> {
				Long bytes = ProcFs.residentBytes(worker);
				return (bytes != null) ? bytes : -1;
			});
		Optional<UpgradeHandoff> handoff = upgradeHandoff();
		if (handoff.isPresent()) {
			UpgradeHandoff toOldMaster = handoff.get();
			toOldMaster.keepNotifyPrivate();
			// First observer: the old master hears of readiness before any user hook runs.
			master.asNewMasterOf(toOldMaster.oldMasterPid()).observedBy(new MasterEvents() {
				@Override
				public void ready(int workers) {
					toOldMaster.notifyReady();
				}
			});
		}
		master.observedBy(new MasterEvents() {
			@Override
			public void ready(int workers) {
				// Once the first workers serve, so that the build does not slow their start.
				archive.buildIfMissing();
			}
		}).observedBy(new MasterFootprint())
			.observedBy(SystemdNotify.of(System.getenv("NOTIFY_SOCKET"), handoff.isPresent()));
		serverHooks(hooks).forEach(master::observedBy);
		return master;
	}

	/** The OOM kills of the master's memory cgroup, or of the machine where no memory controller is mounted. */
	private static LongSupplier oomKillCounter() {
		Optional<MemoryCgroup> cgroup = MemoryCgroup.ofCurrentProcess().filter((found) -> found.oomKills() >= 0);
		return cgroup.isPresent() ? cgroup.get()::oomKills : MemoryCgroup::machineOomKills;
	}

	@Bean(destroyMethod = "close")
	OrphanReaper preforkOrphanReaper(PreforkProperties properties) {
		return OrphanReaper.startIfNeeded(properties.isSubreaper());
	}

	@Bean
	UpgradePromotion preforkUpgradePromotion(Master master, PidfileHolder pidfile, Environment environment) {
		return new UpgradePromotion(upgradeHandoff().orElse(null), master, pidfile,
				environment.getProperty(MasterEnvironment.PROMOTED_MANAGEMENT_ADDRESS),
				environment.getProperty(MasterEnvironment.PROMOTED_MANAGEMENT_PORT, Integer.class, -1));
	}

	@Bean
	MasterMetrics preforkMasterMetrics(Master master, ListenSockets sockets, Environment environment) {
		MasterMetrics metrics = new MasterMetrics(master::status, sockets::currentFd, sockets::currentBacklog,
				environment.getProperty("spring.application.version", "unknown"));
		master.observedBy(metrics);
		return metrics;
	}

	@Bean
	WorkerScrapes preforkWorkerScrapes(Master master, NativeWorkerLauncher launcher, MasterMetrics metrics) {
		return new WorkerScrapes(master::status, launcher::scrape, metrics, WORKER_SCRAPE_TIMEOUT);
	}

	@Bean
	@ConditionalOnAvailableEndpoint(PrometheusScrapeEndpoint.class)
	PreforkPrometheusScrapeEndpoint prometheusEndpoint(PrometheusRegistry registry, PrometheusConfig config,
			WorkerScrapes workers) {
		return new PreforkPrometheusScrapeEndpoint(registry, config.prometheusProperties(), workers, MAX_SCRAPES);
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnProperty("prefork.master-fifo")
	MasterFifo preforkMasterFifo(PreforkProperties properties, Master master) {
		try {
			return MasterFifo.open(properties.getMasterFifo().toPath(), master::submit);
		}
		catch (IOException ex) {
			throw new PreforkStartupException("Cannot use prefork.master-fifo: " + ex.getMessage() + ".",
					"Whoever can write the FIFO can stop, scale or upgrade the master. Remove the file and let the master "
							+ "create it (mode 600), or point prefork.master-fifo at a free path in a directory only this "
							+ "user can write.",
					ex);
		}
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnProperty("prefork.touch-reload")
	TouchReload preforkTouchReload(PreforkProperties properties, Master master) {
		return TouchReload.watch(properties.getTouchReload().toPath(), master::submit);
	}

	/** Set when this master was started by an old master's USR2. */
	static Optional<UpgradeHandoff> upgradeHandoff() {
		try {
			return UpgradeHandoff.fromEnvironment(System.getenv());
		}
		catch (IllegalStateException ex) {
			throw new PreforkStartupException(ex.getMessage(), "Start the master without those variables.");
		}
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnAvailableEndpoint
	PreforkEndpoint preforkEndpoint(Master master, RecordedPaths paths) {
		return new PreforkEndpoint(master, paths);
	}

	/**
	 * Who may do what on the master's management server ({@link ControlGuard}), whichever
	 * endpoints are exposed and whatever web stack serves them.
	 */
	@Bean
	@ConditionalOnWebApplication
	ControlAccess preforkControlAccess(Environment environment, WebEndpointProperties web, PreforkProperties properties,
			ObjectProvider<ApplicationArguments> arguments) {
		String token = ControlToken.of(properties.getControl());
		ManagementSecurity.check(environment, web, token != null);
		WorkerUser workers = resolveWorkerUser(properties);
		ManagementSecurity.checkWorkersCannotCommand(environment, web, token != null,
				(workers != null) ? workers.name() : null);
		ApplicationArguments given = arguments.getIfAvailable();
		MasterSecretSources secrets = MasterSecretSources.of((given != null) ? given.getSourceArgs() : new String[0]);
		if (!secrets.jsonSources().isEmpty()) {
			logger.warn("prefork.control.token or management.server.ssl.* is given in " + String.join(", ",
					secrets.jsonSources()) + ", which every worker inherits with the application's other settings: "
					+ "use prefork.control.token-file (a file only this user can read) instead");
		}
		List<String> onCommandLine = secrets.commandLineTokenKeys();
		if (!onCommandLine.isEmpty()) {
			logger.warn("prefork.control.token is given on the command line (" + String.join(", ", onCommandLine)
					+ "), which every user of this machine can read (ps, /proc/<pid>/cmdline); workers do not inherit "
					+ "it, but use prefork.control.token-file (a file only this user can read) or the "
					+ "PREFORK_CONTROL_TOKEN environment variable instead");
		}
		String endpointPath = web.getBasePath() + "/" + web.getPathMapping().getOrDefault("prefork", "prefork");
		AllowedHosts hosts = AllowedHosts.of(ManagementSecurity.managementAddress(environment), ProcFs.hostname(),
				properties.getControl().getAllowedHosts());
		return new ControlAccess(endpointPath, token, hosts);
	}

	/** The application's own endpoints, which the master's management server passes to the workers. */
	@Bean
	@ConditionalOnWebApplication
	WorkerEndpoints preforkWorkerEndpoints(Master master, NativeWorkerLauncher launcher, WebEndpointProperties web,
			ObjectProvider<PathMappedEndpoints> endpoints) {
		Supplier<Set<String>> masterPaths = SingletonSupplier.of(() -> Set.copyOf(
				endpoints.getIfAvailable(() -> new PathMappedEndpoints(web.getBasePath(), List.of())).getAllRootPaths()));
		return new WorkerEndpoints(master::status, launcher::endpoint, web.getBasePath(), masterPaths);
	}

	/**
	 * What {@link ControlGuard} needs, for the web stack's filter.
	 * @param endpointPath the prefork endpoint's path below the base path, e.g. {@code /actuator/prefork}
	 * @param token the bearer token, or {@code null}
	 */
	record ControlAccess(String endpointPath, String token, AllowedHosts hosts) {
	}

	@Bean
	@ConditionalOnMissingBean(name = "preforkHealthIndicator")
	PreforkHealthIndicator preforkHealthIndicator(Master master) {
		return new PreforkHealthIndicator(master);
	}

	/**
	 * The pidfile, if one is configured: {@code <pidfile>}, or {@code <pidfile>.2} while this
	 * master is the new master of an upgrade.
	 */
	static final class PidfileHolder {

		private final Path configured;

		private Pidfile pidfile;

		PidfileHolder(Path configured, Pidfile pidfile) {
			this.configured = configured;
			this.pidfile = pidfile;
		}

		/** Moves to {@code <pidfile>} once the old master is gone. */
		synchronized void promote() throws IOException {
			if (this.pidfile != null && !this.pidfile.path().equals(this.configured)) {
				Pidfile promoted = Pidfile.write(this.configured, ProcessHandle.current().pid());
				this.pidfile.delete();
				this.pidfile = promoted;
				logger.info("Pidfile " + this.configured + " now names this master");
			}
		}

		synchronized void delete() {
			if (this.pidfile != null) {
				this.pidfile.delete();
			}
		}

	}

}
