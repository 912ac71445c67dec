package dev.prefork.worker.tomcat;

import dev.prefork.worker.WorkerServer;
import org.apache.catalina.startup.Tomcat;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;
import org.springframework.boot.tomcat.TomcatWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Tomcat in a worker the master started ({@code PREFORK_ROLE=worker}), under Spring MVC or
 * WebFlux: it serves the socket
 * inherited on fd 0 with an acceptor made for a shared socket, and the worker reaches it
 * through {@link TomcatWorkerServer}. A training run ({@code PREFORK_ROLE=training}) gets the
 * latter only, to warm up through its own Tomcat.
 */
@AutoConfiguration
@ConditionalOnClass(Tomcat.class)
public final class TomcatWorkerAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(prefix = "prefork", name = "role", havingValue = "worker")
	static class Worker {

		@Bean
		TomcatConnectorCustomizer preforkInheritedChannelCustomizer() {
			return (connector) -> connector.setProperty("useInheritedChannel", "true");
		}

		@Bean
		WebServerFactoryCustomizer<TomcatWebServerFactory> preforkSharedSocketProtocol() {
			return (factory) -> factory.setProtocol(SharedSocketNioProtocol.class.getName());
		}

		@Bean
		WorkerServer.Finder preforkTomcatWorkerServer() {
			return TomcatWorkerServer::of;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(prefix = "prefork", name = "role", havingValue = "training")
	static class Training {

		@Bean
		WorkerServer.Finder preforkTomcatWorkerServer() {
			return TomcatWorkerServer::of;
		}

	}

}
