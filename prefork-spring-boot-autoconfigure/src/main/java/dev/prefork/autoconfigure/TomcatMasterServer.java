package dev.prefork.autoconfigure;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.tomcat.TomcatWebServerFactory;
import org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The master's servlet container for an application on Tomcat. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ImportAutoConfiguration(TomcatServletWebServerAutoConfiguration.class)
class TomcatMasterServer {

	@Bean
	ManagementPort preforkManagementPort(ObjectProvider<TomcatWebServerFactory> factory) {
		return new TomcatManagementPort(factory.getIfAvailable());
	}

}
