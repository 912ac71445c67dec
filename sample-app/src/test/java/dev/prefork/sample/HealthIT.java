package dev.prefork.sample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.prefork.sample.MasterProcess.Stack;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

import static dev.prefork.sample.MasterProcess.await;
import static dev.prefork.sample.MasterProcess.call;
import static dev.prefork.sample.MasterProcess.pidOfSlot;
import static dev.prefork.sample.MasterProcess.readyCount;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The master's health, and its liveness and readiness groups (what the Kubernetes probes in
 * deploy/ ask), follow prefork.min-ready-workers: all ready, a worker killed, a reload, a
 * graceful stop; and the application's own health components are the master's.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class HealthIT {

	@ParameterizedTest
	@MethodSource("dev.prefork.sample.MasterProcess#matrix")
	void readinessFollowsTheReadyWorkersAndLivenessTheMaster(Stack stack) throws Exception {
		try (MasterProcess master = MasterProcess.start(stack, "--prefork.workers=2", "--prefork.min-ready-workers=2")) {
			JsonNode status = master.awaitReady(2);
			assertThat(health(master, "")).isEqualTo("200 UP");
			assertThat(health(master, "/readiness")).isEqualTo("200 UP");
			assertThat(health(master, "/liveness")).isEqualTo("200 UP");
			JsonNode details = master.management("GET", "/actuator/health", Map.of(), "").json();
			assertThat(details.get("components").get("prefork").get("details").get("readyWorkers").asInt()).isEqualTo(2);

			// A rolling reload never has fewer than 2 ready workers: readiness stays up throughout.
			List<String> duringReload = new ArrayList<>();
			master.signal("HUP");
			await("the reload to end", MasterProcess.BOOT, () -> {
				duringReload.add(health(master, "/readiness"));
				return call(() -> {
					JsonNode s = master.status();
					return s.get("generation").asInt() == 2 && s.get("lastReload") != null
							&& !s.get("lastReload").isNull();
				});
			});
			assertThat(duringReload).hasSizeGreaterThan(5).containsOnly("200 UP");
			// awaitReady: the old generation's workers are gone, so slot 1 is the new, ready one.

			// One of 2 workers killed: not ready until it is replaced; the master stays live.
			long killed = pidOfSlot(master.awaitReady(2), 1);
			MasterProcess.kill("KILL", killed);
			List<String> liveness = new ArrayList<>();
			await("readiness down", Duration.ofSeconds(30), () -> {
				liveness.add(health(master, "/liveness"));
				return health(master, "/readiness").equals("503 DOWN");
			});
			assertThat(health(master, "")).isEqualTo("503 DOWN");
			master.awaitStatus("the worker replaced", (s) -> pidOfSlot(s, 1) != killed && readyCount(s) == 2);
			await("readiness up again", Duration.ofSeconds(30), () -> health(master, "/readiness").equals("200 UP"));
			assertThat(liveness).containsOnly("200 UP");
		}
	}

	/**
	 * The application's own Actuator through the master. Its health indicator (the samples'
	 * {@code sample}, blocking on MVC, reactive on WebFlux) is a component of the master's
	 * health, with each worker's details, and a health group of the user's that names it works
	 * as in a plain application. Its other endpoints are answered by the workers: a read by one
	 * (or the one {@code Prefork-Worker} names), a write ({@code loggers}) by every worker.
	 */
	@ParameterizedTest
	@MethodSource("dev.prefork.sample.MasterProcess#matrix")
	void theApplicationsOwnActuatorIsOnTheMaster(Stack stack, @TempDir Path temp) throws Exception {
		Path down = temp.resolve("down");
		try (MasterProcess master = MasterProcess.start(stack, "--prefork.workers=2", "--prefork.min-ready-workers=1",
				"--sample.health.down-file=" + down, "--management.endpoint.health.show-details=always",
				"--management.endpoint.health.group.app.include=readinessState,sample",
				"--management.endpoints.web.exposure.include=health,info,loggers,env",
				"--management.endpoint.env.show-values=always", "--management.info.env.enabled=true",
				"--info.app.owner=prefork-it")) {
			JsonNode status = master.awaitReady(2);
			await("the application's component on the master", Duration.ofSeconds(30),
					() -> health(master, "/sample").equals("200 UP"));
			JsonNode workers = master.management("GET", "/actuator/health/sample", Map.of(), "")
				.json()
				.get("details")
				.get("workers");
			for (int slot = 0; slot < 2; slot++) {
				JsonNode worker = workers.get(Integer.toString(slot));
				assertThat(worker.get("status").asString()).isEqualTo("UP");
				assertThat(worker.get("details").get("pid").asLong()).as("the worker's own indicator answered")
					.isEqualTo(pidOfSlot(status, slot));
			}
			assertThat(health(master, "/app")).isEqualTo("200 UP");
			assertThat(health(master, "")).isEqualTo("200 UP");

			MasterProcess.Response info = master.management("GET", "/actuator/info", Map.of(), "");
			assertThat(info.status()).as(info.body()).isEqualTo(200);
			assertThat(info.json().at("/app/owner").asString()).as(info.body()).isEqualTo("prefork-it");
			assertThat(info.header("Prefork-Worker")).as("a read goes to one worker").isEqualTo("0");
			for (int slot = 0; slot < 2; slot++) {
				MasterProcess.Response env = master.management("GET", "/actuator/env/prefork.worker.slot",
						Map.of("Prefork-Worker", Integer.toString(slot)), "");
				assertThat(env.status()).as(env.body()).isEqualTo(200);
				assertThat(env.json().at("/property/value").asString()).as("the worker asked: " + env.body())
					.isEqualTo(Integer.toString(slot));
			}
			MasterProcess.Response set = master.management("POST", "/actuator/loggers/dev.prefork.sample",
					Map.of("Content-Type", "application/json"), "{\"configuredLevel\":\"DEBUG\"}");
			assertThat(set.status()).as(set.body()).isEqualTo(204);
			assertThat(set.header("Prefork-Worker")).as("a write goes to every worker").isEqualTo("0,1");
			for (int slot = 0; slot < 2; slot++) {
				JsonNode logger = master.management("GET", "/actuator/loggers/dev.prefork.sample",
						Map.of("Prefork-Worker", Integer.toString(slot)), "").json();
				assertThat(logger.get("configuredLevel").asString()).as("worker " + slot).isEqualTo("DEBUG");
			}
			MasterProcess.Response unknown = master.management("GET", "/actuator/beans", Map.of(), "");
			assertThat(unknown.status()).as("not exposed by the application: " + unknown.body()).isEqualTo(404);
			MasterProcess.Response noSuchWorker = master.management("GET", "/actuator/info",
					Map.of("Prefork-Worker", "7"), "");
			assertThat(noSuchWorker.status()).isEqualTo(404);
			assertThat(noSuchWorker.body()).contains("no ready worker in slot 7");

			Files.createFile(down);
			await("the component down", Duration.ofSeconds(30), () -> health(master, "/sample").equals("503 DOWN"));
			assertThat(health(master, "")).isEqualTo("503 DOWN");
			assertThat(health(master, "/app")).as("the user's group").isEqualTo("503 DOWN");
			assertThat(health(master, "/readiness")).as("the default readiness group does not include it")
				.isEqualTo("200 UP");

			Files.delete(down);
			await("the component up again", Duration.ofSeconds(30), () -> health(master, "").equals("200 UP"));

			// min-ready-workers=1 of 2: one worker killed leaves the master ready while it is replaced.
			long killed = pidOfSlot(master.status(), 1);
			MasterProcess.kill("KILL", killed);
			List<String> readiness = new ArrayList<>();
			master.awaitStatus("the worker replaced", (s) -> {
				readiness.add(health(master, "/readiness"));
				return pidOfSlot(s, 1) != killed && readyCount(s) == 2;
			});
			assertThat(readiness).isNotEmpty().containsOnly("200 UP");
		}
	}

	@ParameterizedTest
	@MethodSource("dev.prefork.sample.MasterProcess#matrix")
	void aGracefulStopIsOutOfServiceWhileTheWorkersDrain(Stack stack) throws Exception {
		// Heartbeats (which report requests in flight) every 3 s.
		try (MasterProcess master = MasterProcess.start(stack, "--prefork.workers=1", "--prefork.timeout=12s")) {
			master.awaitReady(1);
			CompletableFuture<Integer> slow = CompletableFuture
				.supplyAsync(() -> call(() -> master.get("/sleep?ms=10000").status()));
			await("the slow request in flight", Duration.ofSeconds(30),
					() -> call(() -> master.status().get("workers").get(0).get("inflight").asInt()) > 0);
			master.signal("TERM");
			await("out of service", Duration.ofSeconds(5), () -> health(master, "/readiness").equals("503 OUT_OF_SERVICE"));
			assertThat(slow.get(60, TimeUnit.SECONDS)).as("the in-flight request is answered").isEqualTo(200);
			assertThat(master.awaitExit(Duration.ofSeconds(60))).isZero();
		}
	}

	/** {@code "<HTTP status> <health status>"}, or {@code "unreachable"}. */
	private static String health(MasterProcess master, String group) {
		try {
			MasterProcess.Response response = master.management("GET", "/actuator/health" + group, Map.of(), "");
			return response.status() + " " + response.json().get("status").asString();
		}
		catch (IOException | RuntimeException ex) {
			return "unreachable";
		}
	}

}
