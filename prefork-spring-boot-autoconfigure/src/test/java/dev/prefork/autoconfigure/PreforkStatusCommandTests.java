package dev.prefork.autoconfigure;

import org.junit.jupiter.api.Test;

import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class PreforkStatusCommandTests {

	@Test
	void asksTheManagementServerWhereTheMasterServesIt() {
		assertThat(PreforkStatusCommand.target(new MockEnvironment()).uri())
			.hasToString("http://127.0.0.1:8081/actuator/prefork");
		MockEnvironment moved = new MockEnvironment().withProperty("management.server.port", "9100")
			.withProperty("management.server.address", "0:0:0:0:0:0:0:0")
			.withProperty("management.server.base-path", "/manage/")
			.withProperty("management.endpoints.web.base-path", "/ops")
			.withProperty("management.endpoints.web.path-mapping.prefork", "master")
			.withProperty("management.server.ssl.bundle", "web");
		assertThat(PreforkStatusCommand.target(moved).uri()).as("TLS as soon as it is configured, as the master does")
			.hasToString("https://127.0.0.1:9100/manage/ops/master");
		moved.setProperty("management.server.ssl.enabled", "false");
		assertThat(PreforkStatusCommand.target(moved).uri().getScheme()).isEqualTo("http");
		MockEnvironment v6 = new MockEnvironment().withProperty("management.server.address", "::1")
			.withProperty("management.endpoints.web.base-path", "/");
		assertThat(PreforkStatusCommand.target(v6).uri()).hasToString("http://[0:0:0:0:0:0:0:1]:8081/prefork");
		MockEnvironment spaces = new MockEnvironment().withProperty("management.server.base-path", "/my app");
		assertThat(PreforkStatusCommand.target(spaces).uri()).hasToString("http://127.0.0.1:8081/my%20app/actuator/prefork");
	}

	@Test
	void saysWhenTheMasterHasNoManagementServerAtAFixedPort() {
		assertThatIllegalStateException()
			.isThrownBy(() -> PreforkStatusCommand.target(new MockEnvironment()
				.withProperty("management.server.port", "-1")))
			.withMessageContaining("the master has no management server (management.server.port=-1)");
		assertThatIllegalStateException()
			.isThrownBy(() -> PreforkStatusCommand.target(new MockEnvironment()
				.withProperty("management.server.port", "0")))
			.withMessageContaining("give the master a fixed management.server.port");
	}

}
