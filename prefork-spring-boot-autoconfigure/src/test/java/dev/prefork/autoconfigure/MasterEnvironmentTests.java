package dev.prefork.autoconfigure;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

class MasterEnvironmentTests {

	private static StandardEnvironment environment(Map<String, Object> properties) {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources().addFirst(new MapPropertySource("application.properties", properties));
		return environment;
	}

	@Test
	void aCommonExposureSettingKeepsTheMastersEndpoints() {
		assertThat(MasterEnvironment.exposure(environment(Map.of("management.endpoints.web.exposure.include", "health,info"))))
			.containsEntry("management.endpoints.web.exposure.include", "health,info,prefork,prometheus");
	}

	@Test
	void anEndpointExcludedByNameStaysHidden() {
		assertThat(MasterEnvironment.exposure(environment(Map.of("management.endpoints.web.exposure.include", "health",
				"management.endpoints.web.exposure.exclude", "Prometheus"))))
			.containsEntry("management.endpoints.web.exposure.include", "health,prefork");
	}

	@Test
	void everythingOrTheMastersOwnNeedNothingAdded() {
		assertThat(MasterEnvironment.exposure(environment(Map.of("management.endpoints.web.exposure.include", "*"))))
			.isEmpty();
		assertThat(MasterEnvironment.exposure(
				environment(Map.of("management.endpoints.web.exposure.include", "health,prefork,prometheus"))))
			.isEmpty();
		assertThat(MasterEnvironment.exposure(environment(Map.of()))).as("the master's defaults apply").isEmpty();
	}

	@Test
	void unknownPreforkKeysAreNamedWithWhereTheyAreSet() {
		StandardEnvironment environment = environment(
				Map.of("prefork.workerz", "3", "prefork.workers", "2", "prefork.warmup.requests[0].path", "/x",
						"prefork.warmup.requests[0].headers.X-Trace", "1", "prefork.memory.heap-fractoin", "0.5"));
		assertThat(UnknownKeys.of(environment)).hasSize(2)
			.anySatisfy((key) -> assertThat(key).startsWith("prefork.memory.heap-fractoin"))
			.anySatisfy((key) -> assertThat(key).startsWith("prefork.workerz"));
	}

	@Test
	void theEnvironmentsVariablesAreNotCheckedAndAValidConfigurationHasNoUnknownKeys() {
		StandardEnvironment environment = environment(Map.of("prefork.workers", "2", "prefork.control.token", "t"));
		environment.getPropertySources()
			.addLast(new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
					Map.of("PREFORK_UPGRADE_FROM", "1234")));
		assertThat(UnknownKeys.of(environment)).isEmpty();
	}

}
