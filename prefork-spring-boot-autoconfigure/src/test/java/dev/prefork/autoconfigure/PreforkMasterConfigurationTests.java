package dev.prefork.autoconfigure;

import dev.prefork.master.Master;
import dev.prefork.master.SettingsLoader;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.core.convert.support.ConfigurableConversionService;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The master's beans and their conditions, without running the master loop: the listening
 * socket is bound on a free port and no worker is started.
 */
class PreforkMasterConfigurationTests {

	private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
		// as in a SpringApplication, so that "read-only" binds to Access.READ_ONLY
		.withInitializer((context) -> context.getEnvironment()
			.setConversionService((ConfigurableConversionService) ApplicationConversionService.getSharedInstance()))
		.withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class, WebEndpointAutoConfiguration.class))
		.withUserConfiguration(PreforkMasterConfiguration.class, ServletMasterServer.class)
		.withBean("preforkSettingsLoader", SettingsLoader.class, () -> () -> {
			throw new SettingsLoader.InvalidSettingsException("not in this test", null);
		})
		.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
		.withPropertyValues("prefork.listen.port=0", "management.endpoints.web.exposure.include=prefork",
				"server.address=127.0.0.1",
				// the surefire booter jar is no application: no class-data archive build behind the tests
				"prefork.preload=off");

	@Test
	void exposedEndpointComesWithItsControlFilter() {
		this.runner.run((context) -> {
			assertThat(context).hasNotFailed().hasSingleBean(Master.class).hasSingleBean(PreforkEndpoint.class);
			assertThat(context.getBean("preforkControlFilter", FilterRegistrationBean.class).getUrlPatterns())
				.containsExactly("/*");
		});
	}

	@Test
	void withoutAManagementServerTheMasterStartsWithoutItsFilter() {
		new org.springframework.boot.test.context.runner.ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class))
			.withUserConfiguration(PreforkMasterConfiguration.class, ServletMasterServer.class)
			.withBean("preforkSettingsLoader", SettingsLoader.class, () -> () -> {
				throw new SettingsLoader.InvalidSettingsException("not in this test", null);
			})
			.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.withPropertyValues("prefork.listen.port=0", "prefork.preload=off")
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(Master.class)
				.doesNotHaveBean("preforkControlFilter"));
	}

	@Test
	void noEndpointWhenItsAccessIsNone() {
		this.runner.withPropertyValues("management.endpoint.prefork.access=none")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(PreforkEndpoint.class)
				.hasBean("preforkControlFilter"));
	}

	@Test
	void backsOffWhenAnEndpointIsDefined() {
		this.runner.withBean("customPreforkEndpoint", PreforkEndpoint.class, () -> new PreforkEndpoint(null, null))
			.run((context) -> assertThat(context).hasNotFailed().getBean(PreforkEndpoint.class)
				.isSameAs(context.getBean("customPreforkEndpoint")));
	}

	@Test
	void refusesWritableEndpointOnANonLoopbackAddressWithoutAToken() {
		this.runner.withPropertyValues("server.address=0.0.0.0").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(PreforkStartupException.class)
				.hasMessageContaining("listens on 0.0.0.0, which is not a loopback address");
		});
	}

	@Test
	void emptyManagementAddressBindsEveryAddressAndIsNoLoopback() {
		this.runner.withPropertyValues("server.address=").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.hasMessageContaining("listens on every address (management.server.address is empty)");
		});
	}

	@Test
	void exposureIsReadAsActuatorReadsIt() {
		this.runner.withPropertyValues("server.address=0.0.0.0", "management.endpoints.web.exposure.include=preFork")
			.run((context) -> assertThat(context).hasFailed());
		this.runner.withPropertyValues("server.address=0.0.0.0", "management.endpoints.web.exposure.include= prefork ,health")
			.run((context) -> assertThat(context).hasFailed());
		this.runner.withPropertyValues("server.address=0.0.0.0", "management.endpoints.web.exposure.include=prefork",
				"management.endpoints.web.exposure.exclude=pre-fork")
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void nonLoopbackAddressIsFineWithATokenOrAReadOnlyEndpoint() {
		this.runner.withPropertyValues("server.address=0.0.0.0", "prefork.control.token=s3cret")
			.run((context) -> assertThat(context).hasNotFailed());
		this.runner.withPropertyValues("server.address=0.0.0.0", "management.endpoint.prefork.access=read-only")
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(PreforkEndpoint.class));
	}

}
