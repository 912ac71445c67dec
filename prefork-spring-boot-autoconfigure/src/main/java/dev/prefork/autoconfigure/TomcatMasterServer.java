package dev.prefork.autoconfigure;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.tomcat.TomcatWebServerFactory;
import org.springframework.boot.tomcat.autoconfigure.reactive.TomcatReactiveWebServerAutoConfiguration;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The master's server for an application on Tomcat, Spring MVC's or WebFlux's (each import is conditional on it). */
@Configuration(proxyBeanMethods = false)
@ImportAutoConfiguration({ TomcatServletWebServerAutoConfiguration.class, TomcatReactiveWebServerAutoConfiguration.class })
class TomcatMasterServer {

	@Bean
	ManagementPort preforkManagementPort(ObjectProvider<TomcatWebServerFactory> factory) {
		return new TomcatManagementPort(factory.getIfAvailable());
	}

}
