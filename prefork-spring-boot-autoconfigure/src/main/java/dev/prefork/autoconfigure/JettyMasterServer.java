package dev.prefork.autoconfigure;

import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.jetty.autoconfigure.reactive.JettyReactiveWebServerAutoConfiguration;
import org.springframework.boot.jetty.autoconfigure.servlet.JettyServletWebServerAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The master's server for an application on Jetty, Spring MVC's or WebFlux's (each import is conditional on it). */
@Configuration(proxyBeanMethods = false)
@ImportAutoConfiguration({ JettyServletWebServerAutoConfiguration.class, JettyReactiveWebServerAutoConfiguration.class })
class JettyMasterServer {

	@Bean
	ManagementPort preforkManagementPort() {
		return new JettyManagementPort();
	}

}
