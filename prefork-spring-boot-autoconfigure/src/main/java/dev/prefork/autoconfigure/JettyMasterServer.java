package dev.prefork.autoconfigure;

import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.jetty.autoconfigure.servlet.JettyServletWebServerAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The master's servlet container for an application on Jetty. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ImportAutoConfiguration(JettyServletWebServerAutoConfiguration.class)
class JettyMasterServer {

	@Bean
	ManagementPort preforkManagementPort() {
		return new JettyManagementPort();
	}

}
