package dev.prefork.autoconfigure;

import dev.prefork.endpoints.WorkerEndpoints;

import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.http.codec.autoconfigure.CodecsAutoConfiguration;
import org.springframework.boot.reactor.autoconfigure.ReactorAutoConfiguration;
import org.springframework.boot.webflux.autoconfigure.HttpHandlerAutoConfiguration;
import org.springframework.boot.webflux.autoconfigure.WebFluxAutoConfiguration;
import org.springframework.boot.webflux.autoconfigure.actuate.endpoint.web.WebFluxHealthEndpointExtensionAutoConfiguration;
import org.springframework.boot.webflux.autoconfigure.error.ErrorWebFluxAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The master's management server for a WebFlux application: WebFlux, on the application's
 * server ({@link NettyMasterServer}, {@link TomcatMasterServer} or {@link JettyMasterServer}),
 * so that it needs no other stack.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@ImportAutoConfiguration({ CodecsAutoConfiguration.class, ReactorAutoConfiguration.class, HttpHandlerAutoConfiguration.class, WebFluxAutoConfiguration.class, ErrorWebFluxAutoConfiguration.class,
		WebFluxHealthEndpointExtensionAutoConfiguration.class })
class ReactiveMasterServer {

	/** Guards every request to the master, before any handler mapping. */
	@Bean
	PreforkControlWebFilter preforkControlFilter(PreforkMasterConfiguration.ControlAccess access,
			WorkerEndpoints endpoints) {
		return new PreforkControlWebFilter(access.endpointPath(), access.token(), access.hosts(),
				(path) -> endpoints.applicationPath(path) != null);
	}

	/** The application's own endpoints, from the workers; after the guard. */
	@Bean
	WorkerEndpointsWebFilter preforkWorkerEndpointsFilter(WorkerEndpoints endpoints) {
		return new WorkerEndpointsWebFilter(endpoints);
	}

}
