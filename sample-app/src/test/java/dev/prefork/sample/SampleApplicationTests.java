package dev.prefork.sample;

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

}
