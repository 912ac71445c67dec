package dev.prefork.autoconfigure;

import java.time.Duration;

import dev.prefork.health.WorkersHealth;
import dev.prefork.master.Master;
import dev.prefork.master.MasterEvents;
import dev.prefork.os.NativeWorkerLauncher;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;

/**
 * The application's health components, from the workers, on the master's health endpoint
 * ({@link WorkersHealth}). After the registry it adds them to, in the master's own
 * application ({@link PreforkMasterApplication}).
 */
@AutoConfiguration(after = HealthContributorRegistryAutoConfiguration.class)
@ConditionalOnClass(name = "tools.jackson.databind.json.JsonMapper")
@ConditionalOnBean(HealthContributorRegistry.class)
class WorkersHealthConfiguration {

	private static final String SHOW_DETAILS = "management.endpoint.health.show-details";

	@Bean
	WorkersHealth preforkWorkersHealth(Master master, NativeWorkerLauncher launcher, HealthContributorRegistry registry,
			ConfigurableEnvironment environment) {
		WorkersHealth health = new WorkersHealth(master::status, launcher::health, registry,
				PreforkMasterConfiguration.WORKER_SCRAPE_TIMEOUT, showsApplicationDetails(environment));
		master.observedBy(new MasterEvents() {
			@Override
			public void workerReady(int slot, long pid, Duration bootTime) {
				health.workerReady(pid);
			}
		});
		return health;
	}

	/**
	 * Whether the user, not the master's defaults, set {@code show-details=always}: the
	 * master's own details are shown by default, the application's (a database URL, an error
	 * message) only as in a plain application, where they are hidden unless asked for.
	 */
	static boolean showsApplicationDetails(ConfigurableEnvironment environment) {
		ConfigurationPropertyName name = ConfigurationPropertyName.of(SHOW_DETAILS);
		for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
			ConfigurationProperty property = source.getConfigurationProperty(name);
			if (property != null && !(source.getUnderlyingSource() instanceof PropertySource<?> underlying
					&& underlying.getName().equals("defaultProperties"))) {
				return "always".equalsIgnoreCase(String.valueOf(property.getValue()).trim());
			}
		}
		return false;
	}

}
