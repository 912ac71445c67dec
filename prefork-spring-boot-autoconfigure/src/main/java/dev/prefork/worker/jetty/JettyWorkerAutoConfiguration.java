package dev.prefork.worker.jetty;

import java.util.ArrayList;
import java.util.List;

import dev.prefork.worker.WorkerServer;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.jetty.JettyServerCustomizer;
import org.springframework.boot.jetty.JettyWebServer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Jetty in a worker the master started ({@code PREFORK_ROLE=worker}), under Spring MVC or
 * WebFlux: its connector is
 * replaced by a {@link SharedSocketConnector} on the socket inherited on fd 0, with the same
 * connection factories (HTTP configuration, TLS), and a {@link WorkerHandler} goes in front of
 * the application; the worker reaches it through {@link JettyWorkerServer}. A training run
 * ({@code PREFORK_ROLE=training}) keeps its own connector and gets the handler, to warm up.
 */
@AutoConfiguration
@ConditionalOnClass({ Server.class, JettyWebServer.class })
public final class JettyWorkerAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(prefix = "prefork", name = "role", havingValue = "worker")
	static class Worker {

		@Bean
		JettyServerCustomizer preforkJettySharedSocket() {
			return (server) -> {
				List<Connector> connectors = new ArrayList<>();
				for (Connector connector : server.getConnectors()) {
					if (connector instanceof ServerConnector plain && !(connector instanceof SharedSocketConnector)) {
						SharedSocketConnector shared = new SharedSocketConnector(server,
								plain.getSelectorManager().getSelectorCount(),
								plain.getConnectionFactories().toArray(new org.eclipse.jetty.server.ConnectionFactory[0]));
						shared.setIdleTimeout(plain.getIdleTimeout());
						connectors.add(shared);
					}
					else {
						connectors.add(connector);
					}
				}
				server.setConnectors(connectors.toArray(new Connector[0]));
				server.setHandler(new WorkerHandler(server.getHandler()));
			};
		}

		@Bean
		WorkerServer.Finder preforkJettyWorkerServer() {
			return JettyWorkerServer::of;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(prefix = "prefork", name = "role", havingValue = "training")
	static class Training {

		@Bean
		JettyServerCustomizer preforkJettyWarmupHandler() {
			return (server) -> server.setHandler(new WorkerHandler(server.getHandler()));
		}

		@Bean
		WorkerServer.Finder preforkJettyWorkerServer() {
			return JettyWorkerServer::of;
		}

	}

}
