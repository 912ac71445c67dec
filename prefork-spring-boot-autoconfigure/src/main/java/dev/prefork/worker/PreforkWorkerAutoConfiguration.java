package dev.prefork.worker;

import dev.prefork.protocol.WorkerEnvironment;
import io.micrometer.observation.ObservationPredicate;
import jakarta.servlet.Filter;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.server.WebFilter;

/**
 * Worker side of prefork that every web server shares, active only in workers the master
 * started ({@code PREFORK_ROLE=worker}): drains keep-alive connections before a graceful
 * stop, counts requests for the heartbeat, records the paths answered for later workers'
 * warm-up, and keeps the warm-up's own requests out of the application's observations
 * ({@code http.server.requests}). What is a server's own comes from its package ({@code worker.tomcat}, {@code worker.netty}) through a
 * {@link WorkerServer.Finder}.
 */
@AutoConfiguration
@ConditionalOnProperty(prefix = "prefork", name = "role", havingValue = "worker")
public final class PreforkWorkerAutoConfiguration {

	@Bean
	ConnectionDrainer preforkConnectionDrainer(ApplicationContext context) {
		return new ConnectionDrainer(context, WorkerEnvironment.gracefulTimeout());
	}

	@Bean
	WorkerRequestStats preforkWorkerRequestStats() {
		return new WorkerRequestStats();
	}

	@Bean
	@ConditionalOnProperty(prefix = "prefork.warmup", name = { "enabled", "record" }, matchIfMissing = true)
	ServedPaths preforkServedPaths() {
		return new ServedPaths();
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ Filter.class, FilterRegistrationBean.class })
	@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
	static class ServletRequestCounting {

		@Bean
		FilterRegistrationBean<RequestCountingFilter> preforkRequestCountingFilter(WorkerRequestStats stats,
				ObjectProvider<ServedPaths> paths) {
			FilterRegistrationBean<RequestCountingFilter> registration = new FilterRegistrationBean<>(
					new RequestCountingFilter(stats, paths.getIfAvailable()));
			registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
			registration.setName("preforkRequestCountingFilter");
			return registration;
		}

		@Bean
		ObservationPredicate preforkWithoutWarmupObservations() {
			return RequestCountingFilter.withoutWarmup();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(WebFilter.class)
	@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
	static class ReactiveRequestCounting {

		@Bean
		ReactiveRequestCountingFilter preforkRequestCountingFilter(WorkerRequestStats stats,
				ObjectProvider<ServedPaths> paths) {
			return new ReactiveRequestCountingFilter(stats, paths.getIfAvailable());
		}

		@Bean
		ObservationPredicate preforkWithoutWarmupObservations() {
			return ReactiveRequestCountingFilter.withoutWarmup();
		}

	}

}
