package dev.prefork.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Turns the user's configuration into the master's: the user's {@code server.address} and
 * {@code server.port} become the shared listening socket ({@code prefork.listen.*}), and the
 * master's own web server runs on the management address and port, with Actuator on it.
 */
class MasterEnvironment implements ApplicationListener<ApplicationEnvironmentPreparedEvent> {

	static final String LISTEN_ADDRESS = "prefork.listen.address";

	static final String LISTEN_PORT = "prefork.listen.port";

	static final int DEFAULT_MANAGEMENT_PORT = 8081;

	static final String DEFAULT_MANAGEMENT_ADDRESS = "127.0.0.1";

	/** Defaults of the master that a user may override in the usual places. */
	static Map<String, Object> defaults() {
		Map<String, Object> defaults = new LinkedHashMap<>();
		defaults.put("management.endpoints.web.exposure.include", "health,prefork,prometheus");
		defaults.put("management.endpoint.health.probes.enabled", "true");
		defaults.put("management.endpoint.health.show-details", "always");
		defaults.put("spring.jmx.enabled", "false");
		return defaults;
	}

	@Override
	public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
		ConfigurableEnvironment environment = event.getEnvironment();
		int listenPort = environment.getProperty("server.port", Integer.class, 8080);
		int managementPort = environment.getProperty("management.server.port", Integer.class,
				DEFAULT_MANAGEMENT_PORT);
		String managementAddress = environment.getProperty("management.server.address", DEFAULT_MANAGEMENT_ADDRESS);
		if (managementPort > 0 && managementPort == listenPort) {
			throw new InvalidConfigurationPropertyValueException("management.server.port", managementPort,
					"must differ from server.port when prefork is enabled: workers serve server.port, "
							+ "the master serves management.server.port");
		}
		Map<String, Object> master = new LinkedHashMap<>();
		master.put(LISTEN_PORT, listenPort);
		master.put(LISTEN_ADDRESS, environment.getProperty("server.address", ""));
		if (managementPort < 0) {
			master.put("spring.main.web-application-type", "none");
		}
		master.put("server.port", managementPort);
		master.put("server.address", managementAddress);
		master.put("management.server.port", managementPort);
		master.put("server.servlet.context-path", environment.getProperty("management.server.base-path", ""));
		master.put("server.ssl.enabled", "false");
		master.put("server.tomcat.threads.max", "8");
		master.put("server.tomcat.threads.min-spare", "1");
		environment.getPropertySources().addFirst(new MapPropertySource("preforkMaster", master));
	}

}
