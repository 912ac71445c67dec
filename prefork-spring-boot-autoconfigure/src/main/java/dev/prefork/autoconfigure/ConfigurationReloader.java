package dev.prefork.autoconfigure;

import java.util.List;
import java.util.Map;
import java.util.Objects;

import dev.prefork.master.MasterSettings;
import dev.prefork.master.SettingsLoader;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.context.logging.LoggingApplicationListener;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Reads the configuration again for a reload, from the same sources and with the same
 * arguments as at start, by running an empty application that only binds
 * {@link PreforkProperties}. Logging is left alone: the master keeps its own.
 */
final class ConfigurationReloader implements SettingsLoader {

	private static final Log logger = LogFactory.getLog(ConfigurationReloader.class);

	private final SpringApplication userApplication;

	private final String[] args;

	/** The start-only keys as the master started with them; set once it started, before any reload. */
	private volatile Map<String, Object> startOnly = Map.of();

	private final WorkerStack stack;

	ConfigurationReloader(SpringApplication userApplication, String[] args, WorkerStack stack) {
		this.userApplication = userApplication;
		this.args = args.clone();
		this.stack = stack;
	}

	/** Remembers what the master started with, to say which changes a reload does not apply. */
	void startedWith(PreforkProperties properties) {
		this.startOnly = properties.startOnly();
	}

	@Override
	public MasterSettings load() throws InvalidSettingsException {
		SpringApplication application = new SpringApplication(this.userApplication.getResourceLoader(),
				PropertiesOnly.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setBannerMode(Banner.Mode.OFF);
		application.setLogStartupInfo(false);
		application.setRegisterShutdownHook(false);
		application.setAdditionalProfiles(this.userApplication.getAdditionalProfiles().toArray(String[]::new));
		application.setEnvironmentPrefix(this.userApplication.getEnvironmentPrefix());
		List<ApplicationListener<?>> listeners = application.getListeners()
			.stream()
			.filter((listener) -> !(listener instanceof LoggingApplicationListener))
			.toList();
		application.setListeners(listeners);
		try (ConfigurableApplicationContext context = application.run(this.args)) {
			Environment environment = context.getEnvironment();
			PreforkProperties properties = context.getBean(PreforkProperties.class);
			for (String key : changed(this.startOnly, properties.startOnly())) {
				logger.warn(key + " changed: a reload does not apply it; it takes effect at the next start");
			}
			MasterSettings settings = properties.toMasterSettings(environment.getProperty("server.address", ""),
					environment.getProperty("server.port", Integer.class, MasterEnvironment.DEFAULT_LISTEN_PORT),
					WorkerBudgets.of(properties, environment));
			String unsupported = settings.listen().isUnix() ? this.stack.unixSocketProblem(settings.listen().unix().path())
					: null;
			if (unsupported != null) {
				throw new InvalidSettingsException(unsupported, null);
			}
			return settings;
		}
		catch (RuntimeException ex) {
			throw new InvalidSettingsException(rootMessage(ex), ex);
		}
	}

	/** The keys whose value differs (the values are not logged: one is a token). */
	static List<String> changed(Map<String, Object> before, Map<String, Object> after) {
		return before.keySet().stream().filter((key) -> !Objects.equals(before.get(key), after.get(key))).toList();
	}

	private static String rootMessage(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return root.getMessage();
	}

	@Configuration(proxyBeanMethods = false)
	@EnableConfigurationProperties(PreforkProperties.class)
	static class PropertiesOnly {

	}

}
