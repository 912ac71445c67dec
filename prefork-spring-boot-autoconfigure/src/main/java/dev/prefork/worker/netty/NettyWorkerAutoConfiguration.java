package dev.prefork.worker.netty;

import dev.prefork.worker.WorkerServer;
import io.netty.channel.unix.DomainSocketAddress;
import reactor.netty.http.server.HttpServer;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.http.server.reactive.HttpHandler;

/**
 * Reactor Netty in a worker the master started ({@code PREFORK_ROLE=worker}): it serves the
 * socket inherited on fd 0 ({@link SharedSocket}), and the worker reaches it through
 * {@link NettyWorkerServer}. A training run ({@code PREFORK_ROLE=training}) gets the latter
 * only, to warm up through its own server.
 */
@AutoConfiguration
@ConditionalOnClass({ HttpServer.class, NettyReactiveWebServerFactory.class })
public final class NettyWorkerAutoConfiguration {

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(prefix = "prefork", name = "role", havingValue = "worker")
	static class Worker {

		private final SharedSocket socket = new SharedSocket();

		@Bean
		WebServerFactoryCustomizer<NettyReactiveWebServerFactory> preforkNettySharedSocket(
				ObjectProvider<ReactorResourceFactory> resources) {
			return (factory) -> {
				factory.setResourceFactory(this.socket.resourceFactory(resources.getIfAvailable()));
				String unixSocket = SharedSocket.unixSocketPath();
				factory.addServerCustomizers((server) -> {
					HttpServer shared = server.doOnChannelInit(this.socket::onConnection);
					return (unixSocket != null) ? shared.bindAddress(() -> new DomainSocketAddress(unixSocket)) : shared;
				});
			};
		}

		@Bean
		WorkerServer.Finder preforkNettyWorkerServer(ObjectProvider<HttpHandler> application) {
			return NettyWorkerServer.finder(this.socket, application::getIfAvailable);
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnProperty(prefix = "prefork", name = "role", havingValue = "training")
	static class Training {

		@Bean
		WorkerServer.Finder preforkNettyWorkerServer(ObjectProvider<HttpHandler> application) {
			return NettyWorkerServer.finder(null, application::getIfAvailable);
		}

	}

}
