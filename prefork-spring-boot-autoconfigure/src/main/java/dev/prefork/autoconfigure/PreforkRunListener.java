package dev.prefork.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.prefork.protocol.WorkerEnvironment;
import dev.prefork.worker.WarmupSettings;
import dev.prefork.worker.WorkerAgent;

import org.apache.commons.logging.LogFactory;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.SpringApplicationRunListener;
import org.springframework.boot.bootstrap.ConfigurableBootstrapContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Where prefork takes over {@code java -jar app.jar}: once the environment is prepared
 * (configuration read, logging set up, no bean created yet), a master runs the master and
 * exits, so the user's context is never created in it; a worker gets its overrides and
 * reports its readiness to the master.
 */
public class PreforkRunListener implements SpringApplicationRunListener, Ordered {

	private final SpringApplication application;

	private final String[] args;

	private WorkerAgent worker;

	public PreforkRunListener(SpringApplication application, String[] args) {
		this.application = application;
		this.args = args;
	}

	@Override
	public int getOrder() {
		// After Spring Boot's EventPublishingRunListener (0), so logging is initialized.
		return 10;
	}

	@Override
	public void starting(ConfigurableBootstrapContext bootstrapContext) {
		if (WorkerEnvironment.ROLE_WORKER.equals(System.getenv(WorkerEnvironment.ROLE))) {
			this.worker = WorkerAgent.start(Thread.currentThread());
		}
	}

	@Override
	public void environmentPrepared(ConfigurableBootstrapContext bootstrapContext, ConfigurableEnvironment environment) {
		if (this.worker == null && PreforkSignalCommand.isRequested(this.args)) {
			System.exit(PreforkSignalCommand.run(environment, System.out, System.err));
		}
		if (this.worker == null && environment.containsProperty("prefork.signal")) {
			// In a configuration file it would make every start, and every reload that reads
			// the configuration again, a command instead of a server.
			LogFactory.getLog(PreforkRunListener.class)
				.warn("Ignoring prefork.signal: it is a command-line option (java -jar app.jar --prefork.signal=reload "
						+ "--prefork.pidfile=...), not a setting");
		}
		if (isTraining()) {
			applyTrainingOverrides(environment);
			return;
		}
		PreforkRole role = PreforkRole.decide(this.application, environment, Thread.currentThread().getStackTrace(),
				Thread.currentThread().getName());
		if (role == PreforkRole.MASTER && PreloadBuild.isRequested(environment)) {
			exit(PreloadBuild.run(environment, this.args));
		}
		if (role == PreforkRole.MASTER) {
			exit(runMaster(PreforkRole.webApplicationType(this.application, environment)));
		}
		if (role == PreforkRole.WORKER) {
			if (this.worker == null) {
				throw new PreforkStartupException(
						"PREFORK_ROLE=worker is set, but this process was not started by a prefork master.",
						"Remove PREFORK_ROLE from the configuration; the master sets it for the workers it starts.");
			}
			this.worker.checkInheritedSocket();
			applyWorkerOverrides(environment);
		}
	}

	private int runMaster(WebApplicationType type) {
		try {
			return PreforkMasterRunner.run(this.application, this.args, type);
		}
		catch (PreforkStartupException ex) {
			throw ex; // reported by the failure analyzer
		}
		catch (Throwable ex) {
			// Even logging may fail here (a jar overwritten under the running master): never let
			// a master whose loop ended linger with its management server up.
			try {
				ex.printStackTrace();
			}
			catch (Throwable ignored) {
				// nothing left to report with
			}
			return 1;
		}
	}

	/** System.exit, and halt if shutdown hooks have not let the JVM end within 30 s. */
	private static void exit(int code) {
		Thread watchdog = new Thread(() -> {
			try {
				Thread.sleep(30_000);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			Runtime.getRuntime().halt(code);
		}, "prefork-exit-watchdog");
		watchdog.setDaemon(true);
		watchdog.start();
		System.exit(code);
	}

	private static boolean isTraining() {
		return WorkerEnvironment.ROLE_TRAINING.equals(System.getenv(WorkerEnvironment.ROLE));
	}

	/**
	 * A training run: the application as plain Spring Boot, its web server on a loopback
	 * port of its own (the master holds server.port, and the management port), to serve the
	 * warm-up before it exits; without a warm-up it exits as soon as its context is
	 * refreshed, before any runner or web server starts.
	 */
	private static void applyTrainingOverrides(ConfigurableEnvironment environment) {
		if (!WarmupSettings.of(environment).isEnabled()) {
			System.setProperty("spring.context.exit", "onRefresh");
			return;
		}
		Map<String, Object> overrides = new LinkedHashMap<>();
		overrides.put("server.port", "0");
		overrides.put("server.address", "127.0.0.1");
		overrides.put("management.server.port", "-1");
		environment.getPropertySources().addFirst(new MapPropertySource("preforkTraining", overrides));
	}

	private void applyWorkerOverrides(ConfigurableEnvironment environment) {
		Map<String, Object> overrides = new LinkedHashMap<>();
		// The management port is the master's; workers serve only the shared socket.
		overrides.put("management.server.port", "-1");
		environment.getPropertySources().addFirst(new MapPropertySource("preforkWorker", overrides));
		Map<String, Object> defaults = new LinkedHashMap<>();
		defaults.put("server.shutdown", "graceful");
		String requestThreads = System.getenv(WorkerEnvironment.REQUEST_THREADS);
		if (requestThreads != null) {
			// a default: the user's own setting, wherever it is set, wins
			defaults.put("server.tomcat.threads.max", requestThreads);
			defaults.put("server.jetty.threads.max", requestThreads);
		}
		if (WorkerEnvironment.hasGracefulTimeout()) {
			defaults.put("spring.lifecycle.timeout-per-shutdown-phase", WorkerEnvironment.gracefulTimeout());
		}
		environment.getPropertySources().addLast(new MapPropertySource("preforkWorkerDefaults", defaults));
	}

	@Override
	public void contextPrepared(ConfigurableApplicationContext context) {
		if (this.worker != null) {
			this.worker.contextPrepared(context);
			context.getBeanFactory().registerSingleton("preforkWorkerAgent", this.worker);
		}
	}

	@Override
	public void ready(ConfigurableApplicationContext context, Duration timeTaken) {
		if (this.worker != null) {
			this.worker.ready(context);
		}
		else if (isTraining()) {
			WorkerAgent.train(context);
		}
	}

	@Override
	public void failed(ConfigurableApplicationContext context, Throwable exception) {
		if (this.worker != null) {
			this.worker.failed(exception);
		}
	}

}
