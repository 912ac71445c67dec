package dev.prefork.autoconfigure;

import java.util.ArrayList;
import java.util.List;

import dev.prefork.master.Master;
import dev.prefork.os.ListenSockets;
import dev.prefork.os.Native;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.DestructionAwareBeanPostProcessor;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * Runs this JVM as the master: starts the master's own small application with the user's
 * arguments and configuration sources, runs the master loop on the {@code prefork-master}
 * thread until every worker is gone, and returns the process exit code.
 */
final class PreforkMasterRunner {

	private static final Log logger = LogFactory.getLog(PreforkMasterRunner.class);


	private PreforkMasterRunner() {
	}

	static int run(SpringApplication userApplication, String[] args, WebApplicationType type) {
		Class<?>[] server = masterServer(userApplication.getClassLoader(), type);
		// jnr-posix takes half a second of a cold JVM to load: on its own thread, while Spring
		// reads the configuration, not when the master binds its socket. A failure is reported there.
		Thread nativeLoad = new Thread(() -> {
			try {
				Native.posix();
			}
			catch (LinkageError ex) {
				// reported where the master first uses it
			}
		}, "prefork-native-load");
		nativeLoad.setDaemon(true);
		nativeLoad.start();
		ClassPreloader.preload(userApplication.getClassLoader());
		List<Class<?>> sources = new ArrayList<>(List.of(server));
		sources.add(0, PreforkMasterApplication.class);
		SpringApplication application = new SpringApplication(userApplication.getResourceLoader(),
				sources.toArray(Class<?>[]::new));
		application.setWebApplicationType(type);
		application.setBannerMode(Banner.Mode.OFF);
		application.setLogStartupInfo(false);
		application.setAdditionalProfiles(userApplication.getAdditionalProfiles().toArray(String[]::new));
		application.setEnvironmentPrefix(userApplication.getEnvironmentPrefix());
		application.setDefaultProperties(MasterEnvironment.defaults());
		application.addListeners(new MasterEnvironment());
		WorkerStack stack = WorkerStack.of(server);
		ConfigurationReloader reloader = new ConfigurationReloader(userApplication, args, stack);
		MasterLoop loop = new MasterLoop();
		application.addInitializers((context) -> {
			context.getBeanFactory().registerSingleton("preforkSettingsLoader", reloader);
			context.getBeanFactory().registerSingleton("preforkWorkerStack", stack);
			context.getBeanFactory().addBeanPostProcessor(startsTheLoop(context, reloader, loop));
		});
		logger.info("Starting prefork master (pid " + ProcessHandle.current().pid() + ") for "
				+ describe(userApplication));
		ConfigurableApplicationContext context;
		try {
			context = application.run(args);
		}
		catch (RuntimeException ex) {
			// Spring Boot has already reported why (failure analysis); destroying the Master
			// bean stopped the workers the loop had started.
			loop.stop();
			return 1;
		}
		try {
			// Should nothing have needed the Master bean yet, making it now starts the loop.
			context.getBean(Master.class);
			logger.info(managementAt(context));
			context.getBean(UpgradePromotion.class).start(context);
			loop.started();
			return loop.awaitExit();
		}
		catch (RuntimeException | Error ex) {
			logger.error("The master failed; exiting", ex);
			loop.stop();
			return 1;
		}
		finally {
			// Whatever happens, the caller must reach System.exit: a master that stopped must
			// not linger with its management server up.
			try {
				context.close();
			}
			catch (RuntimeException | Error ex) {
				try {
					logger.error("Closing the master's context failed", ex);
				}
				catch (RuntimeException | Error loggingFailed) {
					// the caller exits all the same
				}
			}
		}
	}

	/**
	 * Starts the master loop as soon as the {@link Master} bean exists, before the rest of
	 * the master's application and its management server: the first worker's boot, not the
	 * master's own start, is then what a first request waits for. Destroying the bean (the
	 * application failed to start, or closes while the loop runs) stops the workers first.
	 */
	private static BeanPostProcessor startsTheLoop(ConfigurableApplicationContext context,
			ConfigurationReloader reloader, MasterLoop loop) {
		return new DestructionAwareBeanPostProcessor() {
			@Override
			public Object postProcessAfterInitialization(Object bean, String beanName) {
				if (bean instanceof Master master) {
					reloader.startedWith(context.getBean(PreforkProperties.class));
					logger.info("Listening on " + context.getBean(ListenSockets.class).describe() + " for the workers");
					loop.start(master);
				}
				return bean;
			}

			@Override
			public boolean requiresDestruction(Object bean) {
				return bean instanceof Master;
			}

			@Override
			public void postProcessBeforeDestruction(Object bean, String beanName) {
				loop.stop();
			}
		};
	}

	/**
	 * The master serves its endpoints on the application's own web stack: the starter brings
	 * none, and workers serve the socket through the same server.
	 * @return the master application's configurations for that stack
	 * @throws PreforkStartupException if prefork has no worker for the application's stack
	 */
	static Class<?>[] masterServer(ClassLoader classLoader, WebApplicationType type) {
		boolean tomcat = ClassUtils.isPresent("org.apache.catalina.startup.Tomcat", classLoader);
		boolean jetty = ClassUtils.isPresent("org.eclipse.jetty.server.Server", classLoader)
				&& ClassUtils.isPresent("org.springframework.boot.jetty.JettyWebServer", classLoader);
		if (type == WebApplicationType.REACTIVE) {
			if (!ClassUtils.isPresent("org.springframework.web.reactive.DispatcherHandler", classLoader)) {
				throw new PreforkStartupException(
						"The application is reactive (spring.main.web-application-type=reactive) but WebFlux is not "
								+ "on its class path.",
						"Add spring-boot-starter-webflux, or remove spring.main.web-application-type=reactive.");
			}
			// With several servers on the class path, Reactor Netty (WebFlux's default) first.
			if (ClassUtils.isPresent("reactor.netty.http.server.HttpServer", classLoader)
					&& ClassUtils.isPresent("org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory",
							classLoader)) {
				return new Class<?>[] { ReactiveMasterServer.class, NettyMasterServer.class };
			}
			if (tomcat) {
				return new Class<?>[] { ReactiveMasterServer.class, TomcatMasterServer.class };
			}
			if (jetty) {
				return new Class<?>[] { ReactiveMasterServer.class, JettyMasterServer.class };
			}
			throw new PreforkStartupException("prefork serves WebFlux applications on Reactor Netty, Tomcat or Jetty "
					+ "only; this one has none of them.",
					"Add spring-boot-starter-webflux (with its default Reactor Netty server, or Tomcat, or Jetty), or set "
							+ "prefork.enabled=false.");
		}
		if (ClassUtils.isPresent("org.springframework.web.servlet.DispatcherServlet", classLoader)) {
			if (tomcat) {
				return new Class<?>[] { ServletMasterServer.class, TomcatMasterServer.class };
			}
			if (jetty) {
				return new Class<?>[] { ServletMasterServer.class, JettyMasterServer.class };
			}
		}
		throw new PreforkStartupException(
				"prefork serves servlet applications with Spring MVC on Tomcat or Jetty only: workers serve the "
						+ "master's socket through the container's connector, and the master serves its endpoints "
						+ "with Spring MVC.",
				"Use spring-boot-starter-webmvc (with Tomcat, or Jetty), or set prefork.enabled=false.");
	}

	/** Where the master's endpoints are, as a person would open them. */
	private static String managementAt(ConfigurableApplicationContext context) {
		if (!(context instanceof WebServerApplicationContext web) || web.getWebServer() == null) {
			return "No management endpoints (management.server.port=-1)";
		}
		Environment environment = context.getEnvironment();
		String host = environment.getProperty("server.address", MasterEnvironment.DEFAULT_MANAGEMENT_ADDRESS);
		host = (host.isEmpty() || host.equals("0.0.0.0") || host.equals("::")) ? "localhost" : host;
		host = (host.contains(":") && !host.startsWith("[")) ? "[" + host + "]" : host;
		String scheme = environment.getProperty("server.ssl.enabled", Boolean.class, false) ? "https" : "http";
		return "Management endpoints at " + scheme + "://" + host + ":" + web.getWebServer().getPort()
				+ environment.getProperty("management.server.base-path", "")
				+ environment.getProperty("management.endpoints.web.base-path", "/actuator");
	}

	private static String describe(SpringApplication application) {
		Class<?> main = application.getMainApplicationClass();
		return (main != null) ? main.getSimpleName() : "the application";
	}

}
