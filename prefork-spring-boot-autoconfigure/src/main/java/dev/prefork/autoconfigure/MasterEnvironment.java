package dev.prefork.autoconfigure;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import dev.prefork.protocol.MasterOnlyEnvironment;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * Turns the user's configuration into the master's: the user's {@code server.address} and
 * {@code server.port} become the shared listening socket ({@code prefork.listen.*}), and the
 * master's own web server runs on the management address and port, with Actuator on it.
 */
class MasterEnvironment implements ApplicationListener<ApplicationEnvironmentPreparedEvent> {

	private static final Log logger = LogFactory.getLog(MasterEnvironment.class);

	/** The property source of the master's own server settings. */
	static final String SOURCE_NAME = "preforkMaster";

	static final String LISTEN_ADDRESS = "prefork.listen.address";

	static final String LISTEN_PORT = "prefork.listen.port";

	/** Where the new master of an upgrade opens the management port once it is promoted. */
	static final String PROMOTED_MANAGEMENT_ADDRESS = "prefork.upgrade.management-address";

	static final String PROMOTED_MANAGEMENT_PORT = "prefork.upgrade.management-port";

	static final int DEFAULT_LISTEN_PORT = 8080;

	static final int DEFAULT_MANAGEMENT_PORT = 8081;

	static final String DEFAULT_MANAGEMENT_ADDRESS = "127.0.0.1";

	/** The master's request threads: probes, scrapes and commands share them. */
	static final int MAX_THREADS = 8;

	private static final String EXPOSURE_INCLUDE = "management.endpoints.web.exposure.include";

	/** An endpoint id as Actuator compares them: case, dots and dashes aside. */
	private static String endpointId(String id) {
		return id.trim().toLowerCase(Locale.ROOT).replace("-", "").replace(".", "");
	}

	/** The endpoints the master serves for prefork itself, exposed unless excluded by name. */
	static final List<String> MASTER_ENDPOINTS = List.of("prefork", "prometheus");

	/** Defaults of the master that a user may override in the usual places. */
	static Map<String, Object> defaults() {
		Map<String, Object> defaults = new LinkedHashMap<>();
		defaults.put(EXPOSURE_INCLUDE, "health,prefork,prometheus");
		defaults.put("management.endpoint.health.probes.enabled", "true");
		// Kubernetes: ready while enough workers are; live while the master runs.
		defaults.put("management.endpoint.health.group.readiness.include", "readinessState,prefork");
		defaults.put("management.endpoint.health.show-details", "always");
		// A group may name the application's components (db, its own indicators), which the
		// master shows only once a worker has reported them (WorkersHealth).
		defaults.put("management.endpoint.health.validate-group-membership", "false");
		defaults.put("spring.jmx.enabled", "false");
		return defaults;
	}

	@Override
	public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
		ConfigurableEnvironment environment = event.getEnvironment();
		List<String> unknown = UnknownKeys.of(environment);
		if (!unknown.isEmpty()) {
			logger.warn("Unknown prefork setting" + ((unknown.size() > 1) ? "s" : "") + ", ignored: "
					+ String.join(", ", unknown) + " (the settings are listed in the README's Configuration section)");
		}
		int listenPort = environment.getProperty("server.port", Integer.class, DEFAULT_LISTEN_PORT);
		int managementPort = environment.getProperty("management.server.port", Integer.class,
				DEFAULT_MANAGEMENT_PORT);
		String managementAddress = environment.getProperty("management.server.address", DEFAULT_MANAGEMENT_ADDRESS);
		if (managementPort > 0 && managementPort == listenPort) {
			boolean setByUser = environment.containsProperty("management.server.port");
			throw new PreforkStartupException("server.port=" + listenPort + " is also the prefork master's management port ("
					+ "management.server.port" + (setByUser ? "" : ", " + DEFAULT_MANAGEMENT_PORT + " unless set")
					+ "): the workers serve server.port, the master serves its endpoints (/actuator/health, "
					+ "/actuator/prefork, /actuator/prometheus) on management.server.port.",
					"Move the master's endpoints to another port (--management.server.port=" + (listenPort + 1)
							+ ", or -1 for none), or the application to another server.port.");
		}
		Map<String, Object> master = new LinkedHashMap<>();
		master.put(LISTEN_PORT, listenPort);
		master.put(LISTEN_ADDRESS, environment.getProperty("server.address", ""));
		if (managementPort < 0) {
			master.put("spring.main.web-application-type", "none");
		}
		if (managementPort >= 0 && System.getenv(MasterOnlyEnvironment.UPGRADE_FROM) != null) {
			// The old master holds the management port until it exits: serve a private
			// loopback port until then (see UpgradePromotion).
			master.put(PROMOTED_MANAGEMENT_PORT, managementPort);
			master.put(PROMOTED_MANAGEMENT_ADDRESS, managementAddress);
			managementPort = freeLoopbackPort();
			managementAddress = "127.0.0.1";
		}
		master.put("server.port", managementPort);
		master.put("server.address", managementAddress);
		master.put("management.server.port", managementPort);
		master.put("server.servlet.context-path", environment.getProperty("management.server.base-path", ""));
		master.put("spring.webflux.base-path", environment.getProperty("management.server.base-path", ""));
		// The application's servlet path is the workers': the master's endpoints are below the base path only.
		master.put("spring.mvc.servlet.path", "/");
		// The user's server.ssl.* is for the workers; the master's server is the management server.
		master.put("server.ssl.enabled", "false");
		master.putAll(managementSsl(environment));
		// The application's lazy initialization is the workers': the master's beans (its loop,
		// its metrics, which must see every worker event) are made as it starts.
		master.put("spring.main.lazy-initialization", "false");
		master.put("server.tomcat.threads.max", MAX_THREADS);
		master.put("server.tomcat.threads.min-spare", "1");
		master.put("server.jetty.threads.max", MAX_THREADS);
		master.put("server.jetty.threads.min", "2");
		master.putAll(exposure(environment));
		environment.getPropertySources().addFirst(new MapPropertySource(SOURCE_NAME, master));
		hideManagementAddress(environment);
	}

	/**
	 * The master's own endpoints stay exposed when the user's
	 * {@code management.endpoints.web.exposure.include} names others only (a common
	 * {@code health,info}): only naming them in {@code exclude} hides them.
	 */
	static Map<String, Object> exposure(ConfigurableEnvironment environment) {
		Binder binder = Binder.get(environment);
		Set<String> include = binder.bind(EXPOSURE_INCLUDE, Bindable.setOf(String.class)).orElse(Set.of());
		Set<String> exclude = binder.bind("management.endpoints.web.exposure.exclude", Bindable.setOf(String.class))
			.orElse(Set.of());
		if (include.isEmpty() || include.contains("*")) {
			return Map.of();
		}
		Set<String> named = new HashSet<>();
		include.forEach((id) -> named.add(endpointId(id)));
		exclude.forEach((id) -> named.add(endpointId(id)));
		List<String> added = MASTER_ENDPOINTS.stream()
			.filter((id) -> !named.contains(id))
			.toList();
		if (added.isEmpty()) {
			return Map.of();
		}
		Set<String> exposed = new LinkedHashSet<>(include);
		exposed.addAll(added);
		logger.info("Exposing the master's own " + String.join(" and ", added) + " endpoint"
				+ ((added.size() > 1) ? "s" : "") + " as well as " + EXPOSURE_INCLUDE + "=" + String.join(",", include)
				+ " (to hide one, name it in management.endpoints.web.exposure.exclude)");
		return Map.of(EXPOSURE_INCLUDE, String.join(",", exposed));
	}

	/** {@code management.server.ssl.*} as the master's {@code server.ssl.*}, first source first. */
	static Map<String, Object> managementSsl(ConfigurableEnvironment environment) {
		ConfigurationPropertyName prefix = ConfigurationPropertyName.of("management.server.ssl");
		Map<String, Object> ssl = new LinkedHashMap<>();
		for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
			if (source instanceof IterableConfigurationPropertySource iterable) {
				iterable.stream().filter(prefix::isAncestorOf).forEach((name) -> ssl.putIfAbsent(
						"server.ssl." + name.subName(prefix.getNumberOfElements()), iterable.getConfigurationProperty(name).getValue()));
			}
		}
		if (!ssl.isEmpty()) {
			// as for server.ssl.*: configured means enabled unless it says otherwise
			ssl.putIfAbsent("server.ssl.enabled", "true");
		}
		return ssl;
	}

	/**
	 * Removes {@code management.server.address} and {@code management.server.ssl.*} from the
	 * master's property sources: they are already the master's {@code server.address} and
	 * {@code server.ssl.*}, and Actuator refuses both when management and server port are one.
	 */
	private static void hideManagementAddress(ConfigurableEnvironment environment) {
		MutablePropertySources sources = environment.getPropertySources();
		for (PropertySource<?> source : sources.stream().toList()) {
			if (!(source instanceof EnumerablePropertySource<?> enumerable)) {
				continue;
			}
			Map<String, Object> kept = new LinkedHashMap<>();
			boolean hidden = false;
			for (String name : enumerable.getPropertyNames()) {
				if (isManagementAddress(name)) {
					hidden = true;
				}
				else {
					kept.put(name, enumerable.getProperty(name));
				}
			}
			if (hidden) {
				sources.replace(source.getName(), (source instanceof SystemEnvironmentPropertySource)
						? new SystemEnvironmentPropertySource(source.getName(), kept)
						: new MapPropertySource(source.getName(), kept));
			}
		}
	}

	private static boolean isManagementAddress(String name) {
		String canonical = name.toLowerCase(Locale.ROOT).replace("-", "").replace('_', '.');
		return canonical.equals("management.server.address") || canonical.startsWith("management.server.ssl.");
	}

	/** A concrete port rather than 0: Actuator would take 0 for a management port of its own. */
	private static int freeLoopbackPort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot find a free loopback port for the new master", ex);
		}
	}

}
