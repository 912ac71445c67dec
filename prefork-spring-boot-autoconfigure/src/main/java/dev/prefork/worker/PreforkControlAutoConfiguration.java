package dev.prefork.worker;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@link PreforkControl} bean, in every application with the starter: connected to the
 * master in a worker, inert elsewhere (tests, {@code prefork.enabled=false}), so code that
 * injects it runs everywhere.
 */
@AutoConfiguration
public final class PreforkControlAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	PreforkControl preforkControl(ObjectProvider<WorkerAgent> worker) {
		WorkerAgent agent = worker.getIfAvailable();
		return new PreforkControl((agent != null) ? agent::command : null);
	}

}
