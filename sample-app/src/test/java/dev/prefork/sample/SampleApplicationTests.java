package dev.prefork.sample;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A plain {@code @SpringBootTest} of an application with the prefork starter: it must run
 * in the test JVM as an ordinary application, never turn into a master.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SampleApplicationTests {

	@LocalServerPort
	int port;

	@Autowired
	SampleController controller;

	@Test
	void runsAsAPlainApplicationInTheTestJvm() throws Exception {
		MasterProcess.Response response = MasterProcess.get(this.port, "/whoami");
		assertThat(response.status()).isEqualTo(200);
		assertThat(response.json().get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
		assertThat(ProcessHandle.current().children().count()).as("no worker spawned").isZero();
	}

	@Test
	void endpointsThatHarmAWorkerAreOffByDefault() throws Exception {
		for (String path : List.of("/admin/reload", "/allocate?mib=1", "/orphan", "/hang")) {
			assertThat(MasterProcess.request(this.port, "POST", path, Map.of()).status()).as(path).isEqualTo(404);
		}
	}

	/** The integration tests' setting: the endpoints answer (the harmless one is tried here). */
	@Nested
	@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
			properties = "sample.test-endpoints=true")
	class WithTestEndpoints {

		@LocalServerPort
		int port;

		@Test
		void reloadFromApplicationCodeAnswers() throws Exception {
			MasterProcess.Response response = MasterProcess.request(this.port, "POST", "/admin/reload", Map.of());
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.json().get("reloadRequested").asBoolean()).as("not under a master").isFalse();
		}

	}

}
