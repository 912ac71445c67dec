package dev.prefork.sample;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static dev.prefork.sample.MasterProcess.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web stack is the application's: a WebFlux application on Reactor Netty with the starter
 * added ({@code sample-reactive}) stays one, alone and under the master, whose own management
 * server then runs on Netty too.
 */
@Timeout(300)
class WebStackIT {

	@Test
	void aWebFluxApplicationWithTheStarterStaysAWebFluxApplicationOnNetty() throws Exception {
		try (MasterProcess app = MasterProcess.startJar(MasterProcess.REACTIVE_JAR, "--prefork.enabled=false")) {
			await("the application to answer", MasterProcess.BOOT, () -> answers(app.port(), "/hello"));
			// a functional route answers only through WebFlux: Spring MVC would answer 404
			MasterProcess.Response hello = MasterProcess.get(app.port(), "/hello");
			assertThat(hello.status()).isEqualTo(200);
			assertThat(hello.body()).isEqualTo("hello");
			assertThat(MasterProcess.get(app.port(), "/whoami").body()).contains("\"pid\":" + app.pid());
			assertThat(app.output()).contains("Netty started on port").doesNotContain("Tomcat");
		}
	}

	@Test
	void underTheMasterTheWorkersAndTheMasterServeWebFluxOnNetty() throws Exception {
		try (MasterProcess master = MasterProcess.start(MasterProcess.Stack.WEBFLUX_NETTY, "--prefork.workers=2")) {
			master.awaitReady(2);
			Set<Long> answered = new HashSet<>();
			for (int i = 0; i < 200 && answered.size() < 2; i++) {
				MasterProcess.Response hello = master.get("/hello");
				assertThat(hello.status()).isEqualTo(200);
				assertThat(hello.body()).isEqualTo("hello");
				answered.add(master.get("/whoami").json().get("pid").asLong());
			}
			assertThat(answered).hasSize(2).doesNotContain(master.pid());
			assertThat(master.output()).contains("Netty started on port " + master.managementPort)
				.contains("Netty started on port " + master.port())
				.doesNotContain("Tomcat");
		}
	}

	private static boolean answers(int port, String path) {
		try {
			return MasterProcess.get(port, path).status() == 200;
		}
		catch (Exception ex) {
			return false;
		}
	}

}
