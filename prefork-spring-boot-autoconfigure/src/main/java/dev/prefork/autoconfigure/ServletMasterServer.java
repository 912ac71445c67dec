package dev.prefork.autoconfigure;

import dev.prefork.endpoints.WorkerEndpoints;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.http.converter.autoconfigure.HttpMessageConvertersAutoConfiguration;
import org.springframework.boot.servlet.autoconfigure.HttpEncodingAutoConfiguration;
import org.springframework.boot.servlet.autoconfigure.actuate.web.ServletManagementContextAutoConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.DispatcherServletPath;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.actuate.endpoint.web.WebMvcHealthEndpointExtensionAutoConfiguration;
import org.springframework.boot.webmvc.autoconfigure.error.ErrorMvcAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * The master's management server for a servlet application: Spring MVC, on the application's
 * servlet container ({@link TomcatMasterServer} or {@link JettyMasterServer}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ImportAutoConfiguration({ HttpMessageConvertersAutoConfiguration.class, HttpEncodingAutoConfiguration.class,
		DispatcherServletAutoConfiguration.class, WebMvcAutoConfiguration.class, ErrorMvcAutoConfiguration.class,
		ServletManagementContextAutoConfiguration.class, WebMvcHealthEndpointExtensionAutoConfiguration.class })
class ServletMasterServer {

	/** Guards every request to the master; none without a management server ({@code management.server.port=-1}). */
	@Bean
	FilterRegistrationBean<PreforkControlFilter> preforkControlFilter(PreforkMasterConfiguration.ControlAccess access,
			ObjectProvider<DispatcherServletPath> dispatcherServlet, WorkerEndpoints endpoints) {
		// The filter sees the dispatcher servlet's path in every request's path (MasterEnvironment keeps it /).
		String servletPrefix = dispatcherServlet.getIfAvailable(() -> () -> "/").getPrefix();
		FilterRegistrationBean<PreforkControlFilter> registration = new FilterRegistrationBean<>(
				new PreforkControlFilter(servletPrefix + access.endpointPath(), access.token(), access.hosts(),
						(path) -> endpoints.applicationPath(path) != null));
		registration.addUrlPatterns("/*");
		registration.setOrder(Ordered.LOWEST_PRECEDENCE - 1);
		return registration;
	}

	/** The application's own endpoints, from the workers; after the guard. */
	@Bean
	FilterRegistrationBean<WorkerEndpointsFilter> preforkWorkerEndpointsFilter(WorkerEndpoints endpoints) {
		FilterRegistrationBean<WorkerEndpointsFilter> registration = new FilterRegistrationBean<>(
				new WorkerEndpointsFilter(endpoints));
		registration.addUrlPatterns("/*");
		registration.setOrder(Ordered.LOWEST_PRECEDENCE);
		return registration;
	}

}
