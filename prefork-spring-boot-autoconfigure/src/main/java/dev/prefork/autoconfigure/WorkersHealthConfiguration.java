package dev.prefork.autoconfigure;

import java.time.Duration;

import dev.prefork.health.WorkersHealth;
import dev.prefork.master.Master;
import dev.prefork.master.MasterEvents;
import dev.prefork.os.NativeWorkerLauncher;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.context.annotation.Bean;

/**
 * The application's health components, from the workers, on the master's health endpoint
 * ({@link WorkersHealth}). After the registry it adds them to, in the master's own
 * application ({@link PreforkMasterApplication}).
 */
@AutoConfiguration(after = HealthContributorRegistryAutoConfiguration.class)
@ConditionalOnClass(name = "tools.jackson.databind.json.JsonMapper")
@ConditionalOnBean(HealthContributorRegistry.class)
class WorkersHealthConfiguration {

	@Bean
	WorkersHealth preforkWorkersHealth(Master master, NativeWorkerLauncher launcher, HealthContributorRegistry registry) {
		WorkersHealth health = new WorkersHealth(master::status, launcher::health, registry,
				PreforkMasterConfiguration.WORKER_SCRAPE_TIMEOUT);
		master.observedBy(new MasterEvents() {
			@Override
			public void workerReady(int slot, long pid, Duration bootTime) {
				health.workerReady(pid);
			}
		});
		return health;
	}

}
