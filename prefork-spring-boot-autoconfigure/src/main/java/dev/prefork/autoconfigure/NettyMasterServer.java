package dev.prefork.autoconfigure;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.reactor.netty.autoconfigure.NettyReactiveWebServerAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.server.reactive.HttpHandler;

/** The master's server for a WebFlux application on Reactor Netty. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ImportAutoConfiguration(NettyReactiveWebServerAutoConfiguration.class)
class NettyMasterServer {

	@Bean
	ManagementPort preforkManagementPort(ObjectProvider<NettyReactiveWebServerFactory> factory,
			ObjectProvider<HttpHandler> handler) {
		return new NettyManagementPort(factory.getObject(), handler::getObject);
	}

}
