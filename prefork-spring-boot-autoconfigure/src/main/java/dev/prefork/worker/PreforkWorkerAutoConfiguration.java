package dev.prefork.worker;

import dev.prefork.protocol.WorkerEnvironment;
import org.apache.catalina.startup.Tomcat;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;

/**
 * Worker side of prefork, active only in workers the master started
 * ({@code PREFORK_ROLE=worker}): Tomcat serves the socket inherited on fd 0 with an acceptor
 * made for a shared socket, drains keep-alive connections before a graceful stop, counts
 * requests for the heartbeat and records the paths answered for later workers' warm-up.
 */
@AutoConfiguration
@ConditionalOnClass(Tomcat.class)
@ConditionalOnProperty(prefix = "prefork", name = "role", havingValue = "worker")
public final class PreforkWorkerAutoConfiguration {

	@Bean
	TomcatConnectorCustomizer preforkInheritedChannelCustomizer() {
		return (connector) -> connector.setProperty("useInheritedChannel", "true");
	}

	@Bean
	WebServerFactoryCustomizer<TomcatServletWebServerFactory> preforkSharedSocketProtocol() {
		return (factory) -> factory.setProtocol(SharedSocketNioProtocol.class.getName());
	}

	@Bean
	ConnectionDrainer preforkConnectionDrainer(WebServerApplicationContext context) {
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

	@Bean
	FilterRegistrationBean<RequestCountingFilter> preforkRequestCountingFilter(WorkerRequestStats stats,
			ObjectProvider<ServedPaths> paths) {
		FilterRegistrationBean<RequestCountingFilter> registration = new FilterRegistrationBean<>(
				new RequestCountingFilter(stats, paths.getIfAvailable()));
		registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
		registration.setName("preforkRequestCountingFilter");
		return registration;
	}

}
