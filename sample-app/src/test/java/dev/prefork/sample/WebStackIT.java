package dev.prefork.sample;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static dev.prefork.sample.MasterProcess.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web stack is the application's: a WebFlux application on Reactor Netty with the starter
 * added ({@code sample-reactive}) stays one.
 */
@Timeout(300)
class WebStackIT {

	private static final Path REACTIVE_JAR = Path.of(System.getProperty("reactive.jar",
			"../sample-reactive/target/sample-reactive.jar")).toAbsolutePath();

	@Test
	void aWebFluxApplicationWithTheStarterStaysAWebFluxApplicationOnNetty() throws Exception {
		try (MasterProcess app = MasterProcess.startJar(REACTIVE_JAR, "--prefork.enabled=false")) {
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
	void aWebFluxApplicationUnderTheMasterIsRefusedWithTheReason() throws Exception {
		MasterProcess.Exited refused = MasterProcess.runToExit(REACTIVE_JAR);
		assertThat(refused.code()).isEqualTo(1);
		assertThat(refused.output()).contains("prefork does not support reactive (WebFlux) applications yet")
			.contains("prefork.enabled=false");
		assertThat(refused.started()).as("no worker started").isEmpty();
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
