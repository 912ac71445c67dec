package dev.prefork.autoconfigure;

import org.junit.jupiter.api.Test;

import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class PreforkStatusCommandTests {

	@Test
	void asksTheManagementServerWhereTheMasterServesIt() {
		assertThat(PreforkStatusCommand.statusUri(new MockEnvironment()))
			.hasToString("http://127.0.0.1:8081/actuator/prefork");
		MockEnvironment moved = new MockEnvironment().withProperty("management.server.port", "9100")
			.withProperty("management.server.address", "::")
			.withProperty("management.server.base-path", "/manage/")
			.withProperty("management.endpoints.web.base-path", "/ops")
			.withProperty("management.endpoints.web.path-mapping.prefork", "master")
			.withProperty("management.server.ssl.enabled", "true");
		assertThat(PreforkStatusCommand.statusUri(moved)).hasToString("https://127.0.0.1:9100/manage/ops/master");
		MockEnvironment v6 = new MockEnvironment().withProperty("management.server.address", "::1")
			.withProperty("management.endpoints.web.base-path", "/");
		assertThat(PreforkStatusCommand.statusUri(v6)).hasToString("http://[::1]:8081/prefork");
	}

	@Test
	void saysWhenTheMasterHasNoManagementServer() {
		assertThatIllegalStateException()
			.isThrownBy(() -> PreforkStatusCommand.statusUri(new MockEnvironment()
				.withProperty("management.server.port", "-1")))
			.withMessageContaining("the master has no management server (management.server.port=-1)");
	}

}
