package dev.prefork.worker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RejectedExecutionHandler;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import dev.prefork.endpoints.ApplicationEndpoints;
import dev.prefork.endpoints.EndpointReply;
import dev.prefork.health.ApplicationHealth;
import dev.prefork.logging.LogFiles;
import dev.prefork.protocol.ChannelProtocol;
import dev.prefork.protocol.ExitCodes;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import dev.prefork.protocol.WorkerEnvironment;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.DefaultLifecycleProcessor;

/**
 * The worker's side of its private channel to the master: says {@code READY}, sends
 * heartbeats, and stops the worker when the master is gone.
 *
 * <p>
 * A heartbeat is a task run where the web server runs requests (Tomcat's request thread
 * pool; see {@link Heartbeat}): a worker whose request threads are all stuck sends none, and the master replaces it,
 * as a gunicorn worker stuck in a request misses its heartbeat. The agent reaches the web
 * server through {@link WorkerServer} only.
 */
public final class WorkerAgent {

	private static final Log logger = LogFactory.getLog(WorkerAgent.class);

	private final Thread mainThread;

	private final WorkerChannel channel;

	private final Duration heartbeatInterval;

	private final Duration gracefulTimeout;

	private final String masterPid;

	private static volatile boolean quickExit;

	private volatile ConfigurableApplicationContext context;

	/**
	 * Runs the application's health checks for the master, one at a time: requests beyond a
	 * few waiting are dropped (the master times them out) rather than piling up behind a hung one.
	 */
	private final ThreadPoolExecutor healthChecks = oneThread("prefork-health", 2, new ThreadPoolExecutor.DiscardPolicy());

	/**
	 * Scrapes the application's meters for the master, one at a time, as many waiting as the
	 * master runs scrapes at once (and more): beyond, a gauge that blocks has hung the worker's
	 * scrapes, and the master times them out.
	 */
	private final ThreadPoolExecutor scrapes = oneThread("prefork-scrape", 8, new ThreadPoolExecutor.DiscardPolicy());

	/** Calls the application's endpoints for the master, one at a time; beyond a few waiting, says it is busy. */
	private final ThreadPoolExecutor endpointCalls = oneThread("prefork-endpoints", 4, new ThreadPoolExecutor.AbortPolicy());

	/** One daemon thread for the master's requests of a kind, with a few waiting. */
	private static ThreadPoolExecutor oneThread(String name, int waiting, RejectedExecutionHandler beyond) {
		return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(waiting), (task) -> {
			Thread thread = new Thread(task, name);
			thread.setDaemon(true);
			return thread;
		}, beyond);
	}

	private WorkerAgent(Thread mainThread, WorkerChannel channel, Duration heartbeatInterval, Duration gracefulTimeout,
			String masterPid) {
		this.mainThread = mainThread;
		this.channel = channel;
		this.heartbeatInterval = heartbeatInterval;
		this.gracefulTimeout = gracefulTimeout;
		this.masterPid = masterPid;
	}

	/**
	 * Opens the channel the master passed and starts watching it.
	 * @param mainThread the thread that runs the application
	 * @return the agent
	 */
	public static WorkerAgent start(Thread mainThread) {
		WorkerChannel channel;
		try {
			channel = WorkerChannel.open();
		}
		catch (IOException ex) {
			logger.error("PREFORK_ROLE=worker, but there is no channel to a master on fds 3 and 4: "
					+ "workers are started by the prefork master only", ex);
			System.exit(ExitCodes.BOOT_ERROR);
			throw new IllegalStateException(ex);
		}
		WorkerAgent agent = new WorkerAgent(mainThread, channel,
				WorkerEnvironment.heartbeatInterval(), WorkerEnvironment.gracefulTimeout(),
				env(WorkerEnvironment.MASTER_PID, "?"));
		Thread watcher = new Thread(() -> {
			channel.readLines(agent::onMasterLine);
			agent.masterGone();
		}, "prefork-master-channel");
		watcher.setDaemon(true);
		watcher.start();
		sun.misc.Signal.handle(new sun.misc.Signal("INT"), (signal) -> agent.quickExit());
		sun.misc.Signal.handle(new sun.misc.Signal("USR1"), (signal) -> LogFiles.reopen());
		return agent;
	}

	private static String env(String name, String fallback) {
		String value = System.getenv(name);
		return (value != null) ? value : fallback;
	}

	/**
	 * Fails the start if fd 0 is not the master's listening socket.
	 */
	public void checkInheritedSocket() {
		Channel inherited;
		try {
			inherited = System.inheritedChannel();
		}
		catch (IOException ex) {
			inherited = null;
		}
		if (!(inherited instanceof ServerSocketChannel)) {
			throw new IllegalStateException("This worker has no listening socket on fd 0 (found " + inherited
					+ "); workers are started by the prefork master only");
		}
	}

	public void contextPrepared(ConfigurableApplicationContext context) {
		this.context = context;
	}

	/**
	 * The application is ready: warm it up through a private connector (prefork.warmup),
	 * then let the web server accept on the shared socket, tell the master and start the heartbeat.
	 * A warm-up that got nothing but errors ends the worker as a boot failure.
	 * @param context the application context
	 */
	public void ready(ConfigurableApplicationContext context) {
		this.context = context;
		WorkerServer server = server(context);
		WarmupSettings settings;
		try {
			settings = WarmupSettings.of(context.getEnvironment());
		}
		catch (RuntimeException ex) {
			logger.error("Invalid prefork.warmup settings; this worker exits as a boot failure: " + ex.getMessage());
			System.exit(ExitCodes.BOOT_ERROR);
			return;
		}
		String warmup = "";
		if (settings.isEnabled() && server != null) {
			Duration limit = settings.limit(Boolean.parseBoolean(System.getenv(WorkerEnvironment.NOBODY_SERVES)));
			send(ChannelProtocol.WARMING + " " + limit.toMillis());
			WarmUp.Result result = warmUp(server, settings, limit);
			if (result == null || result.onlyFailures()) {
				logger.error("Warm-up failed" + ((result != null) ? ": " + result : "")
						+ "; this worker takes no requests and exits as a boot failure (prefork.warmup.requests)");
				System.exit(ExitCodes.BOOT_ERROR);
				return;
			}
			logger.info("Warmed up with " + result);
			if (result.mostlyClientErrors()) {
				logger.warn("Most warm-up requests were answered 4xx (" + result.clientErrors() + " of "
						+ result.requests() + "): the warm-up exercised little of the application. Set "
						+ "prefork.warmup.requests[0].path (and .method, .headers, .body) to requests the application "
						+ "answers, or prefork.warmup.enabled=false");
			}
			warmup = " " + result.took().toMillis() + " " + result.requests() + " " + result.errors();
		}
		if (server != null) {
			server.startAccepting();
		}
		send(ChannelProtocol.READY + warmup);
		Executor requestThreads = requestThreads(server);
		boolean progressCounts = server != null && server.runsRequestsOnVirtualThreads();
		WorkerRequestStats stats = context.getBeanProvider(WorkerRequestStats.class).getIfAvailable(WorkerRequestStats::new);
		ServedPaths paths = context.getBeanProvider(ServedPaths.class).getIfAvailable();
		ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "prefork-heartbeat");
			thread.setDaemon(true);
			return thread;
		});
		long interval = this.heartbeatInterval.toMillis();
		scheduler.scheduleAtFixedRate(new Heartbeat(requestThreads, progressCounts, stats, paths, this::send), 0,
				interval, TimeUnit.MILLISECONDS);
	}

	/** The warm-up's result, or null if it could not run at all. */
	static WarmUp.Result warmUp(WorkerServer server, WarmupSettings settings, Duration limit) {
		try {
			return WarmUp.through(server, settings, System.getenv(WorkerEnvironment.WARMUP_PATHS), limit);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return null;
		}
		catch (RuntimeException ex) {
			logger.error("Cannot warm up: " + ex, ex);
			return null;
		}
	}

	/**
	 * A training run ({@code PREFORK_ROLE=training}) serves the warm-up requests before it
	 * exits, so that the archive it writes at exit holds the profiles of the request path.
	 * @param context the application context
	 */
	public static void train(ConfigurableApplicationContext context) {
		WorkerServer server = server(context);
		WarmupSettings settings = WarmupSettings.of(context.getEnvironment());
		if (server != null) {
			WarmUp.Result result = warmUp(server, settings, settings.getDuration());
			logger.info("Training run warmed up" + ((result != null) ? " with " + result : ": failed"));
		}
		System.exit(0);
	}

	/**
	 * The application's web server as the worker sees it, from the {@link WorkerServer.Finder}
	 * of its server's package; null if it has no web server or none that prefork serves.
	 */
	static WorkerServer server(ApplicationContext context) {
		if (context instanceof WebServerApplicationContext webContext) {
			WebServer webServer = webContext.getWebServer();
			for (WorkerServer.Finder finder : context.getBeanProvider(WorkerServer.Finder.class)) {
				WorkerServer server = finder.find(webServer);
				if (server != null) {
					return server;
				}
			}
		}
		return null;
	}

	private static Executor requestThreads(WorkerServer server) {
		if (server != null) {
			return server.requestExecutor();
		}
		logger.warn("No web server that prefork serves found; heartbeats only show that the JVM is alive");
		return Runnable::run;
	}

	/**
	 * The application failed to start: exit with the code that tells the master why, once
	 * Spring Boot has reported the failure and the main thread has ended.
	 * @param exception the failure
	 */
	public void failed(Throwable exception) {
		int code = isClassLoadingFailure(exception) ? ExitCodes.APP_LOAD_ERROR : ExitCodes.BOOT_ERROR;
		Thread exit = new Thread(() -> {
			try {
				this.mainThread.join();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			System.exit(code);
		}, "prefork-boot-failure");
		exit.start();
	}

	private void onMasterLine(String line) {
		if (line.startsWith(ChannelProtocol.SCRAPE + " ")) {
			// Off the channel's thread too: a gauge that blocks must not stop this worker from
			// reading its channel, or the master's writes to it would fill the pipe and block.
			String id = line.substring(ChannelProtocol.SCRAPE.length() + 1);
			this.scrapes.execute(() -> answer(id, prometheusText()));
		}
		else if (line.startsWith(ChannelProtocol.HEALTH + " ")) {
			// Off the channel's thread: a slow database check must not hold up scrapes.
			String id = line.substring(ChannelProtocol.HEALTH.length() + 1);
			this.healthChecks.execute(() -> answer(id, ApplicationHealth.of(activeContext())));
		}
		else if (line.startsWith(ChannelProtocol.ENDPOINT + " ")) {
			String[] request = line.split(" ", 3);
			if (request.length == 3) {
				endpointCall(request[1], request[2]);
			}
		}
		else {
			logger.debug("Ignoring message from master: " + line);
		}
	}

	/** Off the channel's thread, one at a time: a thread dump must not hold up scrapes and health. */
	private void endpointCall(String id, String call) {
		try {
			this.endpointCalls.execute(() -> answer(id, ApplicationEndpoints.answer(activeContext(), call)));
		}
		catch (RejectedExecutionException ex) {
			answer(id, EndpointReply.message(503, "the worker is busy with other endpoint calls").encode());
		}
	}

	private void answer(String id, byte[] payload) {
		try {
			this.channel.sendFrame(ChannelProtocol.ANSWER + " " + id + " " + payload.length, payload);
		}
		catch (IOException ex) {
			logger.debug("Cannot reach the master: " + ex.getMessage());
		}
	}

	private ConfigurableApplicationContext activeContext() {
		ConfigurableApplicationContext context = this.context;
		return (context != null && context.isActive()) ? context : null;
	}

	/** This worker's meters in Prometheus text format 0.0.4; empty before the context is up. */
	private byte[] prometheusText() {
		ConfigurableApplicationContext context = this.context;
		if (context == null || !context.isActive()) {
			return new byte[0];
		}
		try {
			PrometheusMeterRegistry registry = context.getBeanProvider(PrometheusMeterRegistry.class).getIfAvailable();
			return (registry != null) ? registry.scrape().getBytes(StandardCharsets.UTF_8) : new byte[0];
		}
		catch (RuntimeException | LinkageError ex) {
			logger.debug("Cannot scrape this worker's meters: " + ex);
			return new byte[0];
		}
	}

	/**
	 * Asks the master for a command on behalf of the application ({@link PreforkControl}).
	 * @param name the command's name, e.g. {@code reload}
	 */
	void command(String name) {
		send(ChannelProtocol.COMMAND + " " + name);
	}

	private static boolean isClassLoadingFailure(Throwable exception) {
		for (Throwable cause = exception; cause != null; cause = cause.getCause()) {
			if (cause instanceof ClassNotFoundException || cause instanceof LinkageError) {
				return true;
			}
		}
		return false;
	}

	private void send(String line) {
		try {
			this.channel.send(line);
		}
		catch (IOException ex) {
			logger.debug("Cannot reach the master: " + ex.getMessage());
		}
	}

	/** The channel reached end of file: the master died, even by SIGKILL. No orphan keeps serving. */
	private void masterGone() {
		logger.warn("Master (pid " + this.masterPid + ") is gone; stopping this worker gracefully within "
				+ this.gracefulTimeout.toSeconds() + " s");
		Thread watchdog = new Thread(() -> {
			try {
				Thread.sleep(this.gracefulTimeout.plusSeconds(5).toMillis());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			logger.error("Graceful stop took too long; halting");
			Runtime.getRuntime().halt(1);
		}, "prefork-orphan-watchdog");
		watchdog.setDaemon(true);
		watchdog.start();
		new Thread(() -> System.exit(0), "prefork-orphan-exit").start();
	}

	/** Whether the worker is stopping without waiting for requests (SIGINT). */
	static boolean isQuickExit() {
		return quickExit;
	}

	/** SIGINT: stop now, without waiting for in-flight requests. */
	private void quickExit() {
		if (quickExit) {
			return; // Ctrl-C reaches the whole process group, and the master sends INT too
		}
		logger.info("SIGINT: quick shutdown");
		quickExit = true;
		ConfigurableApplicationContext context = this.context;
		if (context != null && context.isActive()
				&& context.getBean("lifecycleProcessor") instanceof DefaultLifecycleProcessor lifecycle) {
			lifecycle.setTimeoutPerShutdownPhase(0);
		}
		System.exit(0);
	}

}
