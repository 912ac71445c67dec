package dev.prefork.sample;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static dev.prefork.sample.MasterProcess.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Options that change what the master starts or exposes, each against a real master: the
 * workers' JVM options, GPUs and hooks from properties, the subreaper, a read-only or removed
 * endpoint, no management server at all.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class OptionsIT {

	private static final Duration EXIT = Duration.ofSeconds(60);

	@TempDir
	Path temp;

	@Test
	void optionsReachTheWorkersAndTheSubreaperReapsTheirOrphans() throws Exception {
		// prefork.gpus wins over USE_GPUS
		try (MasterProcess master = MasterProcess.startWithEnvironment(Map.of("USE_GPUS", "0,1"),
				"--prefork.workers=2", "--prefork.subreaper=true",
				"--prefork.worker.jvm-args=-Dsample.option=on -Dsample.greeting=\"hello world\" -Xss512k",
				"--prefork.gpus=5,6", "--prefork.workerz=3",
				"--prefork.hooks=dev.prefork.sample.PropertyHooks", "--management.endpoint.prefork.access=read-only",
				"--prefork.max-requests=1000", "--prefork.max-requests-jitter=500", MasterProcess.TEST_ENDPOINTS)) {
			JsonNode status = master.awaitReady(2);
			for (JsonNode worker : status.get("workers")) {
				long pid = worker.get("pid").asLong();
				int slot = worker.get("slot").asInt();
				assertThat(MasterProcess.commandLine(pid)).contains("-Dsample.option=on", "-Xss512k");
				assertThat(MasterProcess.arguments(pid)).as("a quoted value is one argument")
					.contains("-Dsample.greeting=hello world");
				String gpu = Integer.toString(5 + slot);
				assertThat(worker.get("gpu").asString()).isEqualTo(gpu);
				assertThat(MasterProcess.environment(pid)).contains("CUDA_VISIBLE_DEVICES=" + gpu, "SAMPLE_PROPERTY_HOOK=" + slot);
				assertThat(worker.get("maxRequests").asLong()).isBetween(1000L, 1500L);
			}

			assertThat(master.output()).contains("The master is a subreaper: it reaps orphaned processes too")
				.contains("Unknown prefork setting, ignored: prefork.workerz");
			long orphan = master.post("/orphan").json().get("orphan").asLong();
			master.awaitLog("Reaped orphaned process " + orphan + " (exit code 0)");

			MasterProcess.Response refused = master.control("/actuator/prefork/reload", "");
			assertThat(refused.status()).as(refused.body()).isBetween(400, 499);
			assertThat(master.status().get("generation").asInt()).as("no reload").isEqualTo(1);
			assertThat(master.output()).doesNotContain("Reloading (source: http)");
		}
	}

	@Test
	void endpointWithAccessNoneIsGoneAndTheOtherDoorsStillWork() throws Exception {
		Path fifo = this.temp.resolve("master.fifo");
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--prefork.master-fifo=" + fifo,
				"--management.endpoint.prefork.access=none")) {
			awaitServing(master);
			assertThat(MasterProcess.get(master.managementPort, "/actuator/prefork").status()).isEqualTo(404);
			assertThat(master.control("/actuator/prefork/reload", "").status()).isEqualTo(404);
			assertThat(MasterProcess.get(master.managementPort, "/actuator/health").status()).isEqualTo(200);
			Files.writeString(fifo, "Q");
			assertThat(master.awaitExit(EXIT)).isZero();
			assertThat(master.output()).contains("Accepted quick stop (source: fifo)");
		}
	}

	@Test
	void aCommonExposureSettingKeepsTheMastersEndpointsUnlessExcludedByName() throws Exception {
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1",
				"--management.endpoints.web.exposure.include=health,info",
				"--management.endpoints.web.exposure.exclude=prometheus")) {
			awaitServing(master);
			assertThat(MasterProcess.get(master.managementPort, "/actuator/prefork").status()).isEqualTo(200);
			assertThat(MasterProcess.get(master.managementPort, "/actuator/prometheus").status()).isEqualTo(404);
			assertThat(master.output()).contains("Exposing the master's own prefork endpoint as well as "
					+ "management.endpoints.web.exposure.include=health,info");
		}
	}

	@Test
	void masterWithoutAManagementServerServesAndTakesSignals() throws Exception {
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--management.server.port=-1")) {
			awaitServing(master);
			master.signal("TTIN");
			master.awaitLog("Worker 1 (pid ");
			master.signal("TERM");
			assertThat(master.awaitExit(EXIT)).isZero();
			assertThat(master.output()).contains("Scaling from 1 to 2 workers (source: signal)");
		}
	}

	@Test
	void lazyInitializationOfAReactiveApplicationStillStartsTheMaster() throws Exception {
		// The user's spring.main.lazy-initialization applies to the master's own context too,
		// where then nothing may need the Master bean while it starts.
		try (MasterProcess master = MasterProcess.start(MasterProcess.Stack.WEBFLUX_NETTY, "--prefork.workers=1",
				"--spring.main.lazy-initialization=true")) {
			master.awaitReady(1);
			assertThat(master.get("/whoami").status()).isEqualTo(200);
			master.signal("TERM");
			assertThat(master.awaitExit(EXIT)).isZero();
			assertThat(master.output()).contains("Management endpoints at http://").doesNotContain("The master failed");
		}
	}

	/** Without the status endpoint: until a worker answers on the application's port. */
	private static void awaitServing(MasterProcess master) throws InterruptedException {
		await("a worker to answer", MasterProcess.BOOT, () -> {
			if (!master.isAlive()) {
				throw new AssertionError("The master exited before a worker answered\n" + master.tail());
			}
			try {
				return master.get("/whoami").status() == 200;
			}
			catch (java.io.IOException ex) {
				return false;
			}
		});
	}
}
