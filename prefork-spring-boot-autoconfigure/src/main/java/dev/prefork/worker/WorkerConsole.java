package dev.prefork.worker;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.prefork.protocol.WorkerEnvironment;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * A quieter, attributable console for N workers that share the master's: each worker's log
 * lines name its slot ({@code INFO [worker 1] ...}, through {@code logging.pattern.level}), no
 * worker prints the banner, and only slot 0 logs Spring Boot's startup lines and its web
 * server's (the others log that server's warnings and errors only). Defaults only:
 * the user's own settings of these keys win. Applied before logging starts, which is why it is
 * an {@link EnvironmentPostProcessor} and not part of the worker's other overrides.
 */
public final class WorkerConsole implements EnvironmentPostProcessor {

	/** The property source, last of all: every setting of the user's wins. */
	static final String SOURCE_NAME = "preforkWorkerConsole";

	/**
	 * What each web server logs at INFO while it starts (its version, its port, the servlet
	 * context and the dispatcher being initialized): the same for every worker.
	 */
	static final List<String> SERVER_STARTUP_LOGGERS = List.of("org.apache.catalina",
			"org.springframework.boot.tomcat.TomcatWebServer", "org.springframework.boot.web.context",
			"org.springframework.web.servlet.DispatcherServlet", "org.eclipse.jetty",
			"org.springframework.boot.jetty.JettyWebServer", "org.springframework.boot.reactor.netty.NettyWebServer");

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		if (!WorkerEnvironment.ROLE_WORKER.equals(System.getenv(WorkerEnvironment.ROLE))) {
			return;
		}
		String slot = System.getenv(WorkerEnvironment.SLOT);
		Map<String, Object> defaults = new LinkedHashMap<>();
		defaults.put("spring.main.banner-mode", "off");
		defaults.put("logging.pattern.level", "%5p [worker " + slot + "]");
		if (!"0".equals(slot)) {
			defaults.put("spring.main.log-startup-info", "false");
			SERVER_STARTUP_LOGGERS.forEach((name) -> defaults.put("logging.level." + name, "WARN"));
		}
		environment.getPropertySources().addLast(new MapPropertySource(SOURCE_NAME, defaults));
	}

}
