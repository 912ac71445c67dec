package dev.prefork.sample;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static dev.prefork.sample.MasterProcess.await;
import static dev.prefork.sample.MasterProcess.call;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped {@code deploy/docker/Dockerfile}, built unchanged and run by a real container
 * engine (podman, set up by {@code scripts/install-container-engine.sh}; the test fails, never
 * skips, when it cannot): the image carries the class-data archive its first workers map, the
 * master is PID 1 as a user of the image, reads the container's memory limit, reloads under
 * load without a failed request, reaps an orphan and stops on the engine's TERM.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class ContainerImageIT {

	private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

	private static final String IMAGE = "localhost/prefork-sample-it";

	private static final String TOKEN = "container-it-token";

	private static final JsonMapper json = JsonMapper.builder().build();

	private final List<String> containers = new ArrayList<>();

	@BeforeAll
	static void buildTheImage() throws Exception {
		run(Duration.ofMinutes(15), ROOT.resolve("scripts/install-container-engine.sh").toString());
		// The build stage's Maven reads this machine's local repository instead of downloading
		// it again (the Dockerfile is unchanged; a user's build downloads).
		run(Duration.ofMinutes(15), "podman", "build", "--pull=never", "--network=host", "-v",
				Path.of(System.getProperty("user.home"), ".m2") + ":/root/.m2", "-f",
				ROOT.resolve("deploy/docker/Dockerfile").toString(), "-t", IMAGE, ROOT.toString());
	}

	@AfterAll
	static void removeTheImage() throws Exception {
		MasterProcess.run(Duration.ofMinutes(2), null, "podman", "rmi", "-f", IMAGE);
	}

	@Test
	void aContainerOfTheImageServesReloadsReapsAndStops() throws Exception {
		int port = MasterProcess.freePort();
		int management = MasterProcess.freePort();
		String container = "prefork-it-" + port;
		this.containers.add(container);
		try {
			run(Duration.ofMinutes(2), "podman", "run", "-d", "--name", container, "--memory=1g", "-p",
					"127.0.0.1:" + port + ":8080", "-p", "127.0.0.1:" + management + ":8081", "-e",
					"PREFORK_CONTROL_TOKEN=" + TOKEN, IMAGE, "--prefork.workers=3", MasterProcess.TEST_ENDPOINTS);
			JsonNode status = awaitReady(management, 3, 1);

			// The archive the image's RUN step built: the first workers start with it, nothing is trained.
			String log = logs(container);
			assertThat(log).contains("Workers start with the class-data archive /app/.prefork/")
				.doesNotContain("Building the class-data archive")
				.doesNotContain("No class-data archive");
			long worker = status.get("workers").get(0).get("pid").asLong();
			assertThat(exec(container, "grep", "-c", "app.jsa", "/proc/" + worker + "/maps").strip())
				.as("the archive mapped by a worker").isNotEqualTo("0");

			// PID 1, the image's user, the container's memory limit and heaps sized from it.
			assertThat(status.get("pid").asLong()).isEqualTo(1);
			assertThat(exec(container, "sh", "-c", "grep ^Uid: /proc/1/status").split("\\s+")[1])
				.as("the master's uid (the Dockerfile's USER)").isNotEqualTo("0");
			JsonNode memory = status.get("memory");
			assertThat(memory.get("limitBytes").asLong()).isEqualTo(1024L * 1024 * 1024);
			assertThat(memory.get("source").asString()).contains("cgroup");
			long heap = memory.get("workerHeapBytes").asLong();
			assertThat(exec(container, "sh", "-c", "tr '\\0' ' ' < /proc/" + worker + "/cmdline"))
				.contains("-Xmx" + (heap / 1024 / 1024) + "m");

			// A HUP from the engine under load: not one failed request.
			try (KeepAliveLoad load = KeepAliveLoad.start(port, 4)) {
				awaitMore(load, 300);
				run(Duration.ofMinutes(1), "podman", "kill", "--signal", "HUP", container);
				awaitReady(management, 3, 2);
				awaitMore(load, 300);
				load.close();
				assertThat(load.failures()).as("failed requests out of " + load.answered()).isEmpty();
			}

			// PID 1 reaps what a worker leaves behind.
			MasterProcess.Response orphan = MasterProcess.request(port, "POST", "/orphan", Map.of());
			assertThat(orphan.status()).isEqualTo(200);
			long orphanPid = orphan.json().get("orphan").asLong();
			await("the orphan reaped", Duration.ofSeconds(30),
					() -> call(() -> logs(container).contains("Reaped orphaned process " + orphanPid)));

			// The engine's stop: TERM to PID 1, a graceful stop well within the grace period.
			long start = System.nanoTime();
			run(Duration.ofMinutes(2), "podman", "stop", "-t", "60", container);
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
			assertThat(run(Duration.ofMinutes(1), "podman", "inspect", container, "--format", "{{.State.ExitCode}}")
				.strip()).isEqualTo("0");
			assertThat(logs(container)).contains("Master (pid 1) stopped");
		}
		finally {
			for (String name : this.containers) {
				MasterProcess.run(Duration.ofMinutes(2), null, "podman", "rm", "-f", "-t", "0", name);
			}
		}
	}

	/** Waits for {@code count} ready workers of a generation; the status, with the token. */
	private static JsonNode awaitReady(int management, int count, int generation) throws Exception {
		JsonNode[] last = new JsonNode[1];
		await(count + " ready workers of generation " + generation, Duration.ofMinutes(4), () -> call(() -> {
			MasterProcess.Response response;
			try {
				response = MasterProcess.request(management, "GET", "/actuator/prefork",
						Map.of("Authorization", "Bearer " + TOKEN));
			}
			catch (java.io.IOException ex) {
				return false; // the master is not listening yet
			}
			if (response.status() != 200) {
				return false;
			}
			JsonNode status = json.readTree(response.body());
			long ready = 0;
			for (JsonNode worker : status.get("workers")) {
				if (worker.get("state").asString().equals("ready") && worker.get("generation").asInt() == generation) {
					ready++;
				}
			}
			last[0] = status;
			return ready == count && status.get("workers").size() == count;
		}));
		return last[0];
	}

	private static void awaitMore(KeepAliveLoad load, long more) throws InterruptedException {
		long target = load.answered() + more;
		await(more + " more answers", Duration.ofSeconds(60), () -> load.answered() >= target);
	}

	private static String logs(String container) throws Exception {
		return run(Duration.ofMinutes(1), "podman", "logs", container);
	}

	private static String exec(String container, String... command) throws Exception {
		List<String> full = new ArrayList<>(List.of("podman", "exec", container));
		full.addAll(List.of(command));
		return run(Duration.ofMinutes(1), full.toArray(String[]::new));
	}

	private static String run(Duration timeout, String... command) throws Exception {
		MasterProcess.Ran ran = MasterProcess.run(timeout, null, command);
		assertThat(ran.code()).as(String.join(" ", command) + "\n" + ran.output()).isZero();
		return ran.output();
	}

}
