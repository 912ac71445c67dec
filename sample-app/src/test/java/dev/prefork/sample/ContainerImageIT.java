package dev.prefork.sample;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.Yaml;
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
					"PREFORK_CONTROL_TOKEN=" + TOKEN, IMAGE, "--prefork.workers=3",
					// heartbeats every 2.5 s: the stop's in-flight request is seen in flight
					"--prefork.timeout=10s", MasterProcess.TEST_ENDPOINTS);
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

			// The engine's stop under load: TERM to PID 1. The in-flight request is answered and so is
			// every request on a connection a worker served; only connections made after the
			// listening socket closed are refused. Exit 0 well within the grace period.
			try (KeepAliveLoad load = KeepAliveLoad.start(port, 4)) {
				awaitMore(load, 300);
				CompletableFuture<MasterProcess.Response> slow = CompletableFuture
					.supplyAsync(() -> call(() -> MasterProcess.request(port, "GET", "/sleep?ms=10000", Map.of())));
				await("the slow request in flight", Duration.ofSeconds(30),
						() -> call(() -> inflight(status(management)) > 0));
				load.serverStopping();
				long start = System.nanoTime();
				run(Duration.ofMinutes(2), "podman", "stop", "-t", "60", container);
				assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(60));
				assertThat(slow.get(1, TimeUnit.MINUTES).status()).as("the in-flight request").isEqualTo(200);
				load.close();
				assertThat(load.failures()).as("failed requests out of " + load.answered() + " (refused after the stop: "
						+ load.refusedAfterStop() + ")").isEmpty();
			}
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

	/**
	 * {@code deploy/k8s/deployment.yaml} played by {@code podman kube play} as a pod with its
	 * Secret. What podman cannot represent is changed in a copy, as the README says: one replica
	 * with a free host port per container port (podman publishes container ports on the host; no
	 * pod network, no Service), the image this class built, names of its own. The probes are sent
	 * as a kubelet sends them (podman 4 turns an {@code httpGet} probe into {@code curl} inside the
	 * container, without named ports, and runs it from systemd timers), the Service's target port
	 * answers, and the pod's stop drains the master ({@code podman kube down} before podman 5.1
	 * kills at once, so the pod is stopped first).
	 */
	@Test
	@SuppressWarnings("unchecked")
	void theKubernetesDeploymentPlaysAsAPodThatProbesServeAndStopDrain() throws Exception {
		Yaml yaml = new Yaml();
		Map<String, Object> deployment = yaml.load(Files.readString(ROOT.resolve("deploy/k8s/deployment.yaml")));
		Map<String, Object> service = yaml.load(Files.readString(ROOT.resolve("deploy/k8s/service.yaml")));
		String name = "prefork-it-" + MasterProcess.freePort();
		((Map<String, Object>) deployment.get("metadata")).put("name", name);
		Map<String, Object> spec = (Map<String, Object>) deployment.get("spec");
		spec.put("replicas", 1);
		Map<String, Object> app = ((List<Map<String, Object>>) path(spec, "template", "spec", "containers")).get(0);
		app.put("image", IMAGE);
		Map<String, Integer> hostPorts = new java.util.HashMap<>();
		for (Map<String, Object> port : (List<Map<String, Object>>) app.get("ports")) {
			int hostPort = MasterProcess.freePort();
			port.put("hostPort", hostPort);
			hostPorts.put((String) port.get("name"), hostPort);
		}
		String secret = null;
		Map<String, String> env = new java.util.HashMap<>();
		for (Map<String, Object> variable : (List<Map<String, Object>>) app.get("env")) {
			if (variable.get("valueFrom") != null) {
				Map<String, Object> ref = (Map<String, Object>) path(variable, "valueFrom", "secretKeyRef");
				secret = name + "-" + ref.get("name");
				ref.put("name", secret);
				assertThat(ref.get("key")).isEqualTo("control-token");
			}
			else {
				env.put((String) variable.get("name"), (String) variable.get("value"));
			}
		}
		assertThat(secret).as("the control token from a Secret").isNotNull();
		Path dir = Files.createTempDirectory("prefork-kube-it");
		Path manifest = Files.writeString(dir.resolve("deployment.yaml"), yaml.dump(deployment));
		// podman 4's form of a Secret: a JSON map of base64 values
		Path secretFile = Files.writeString(dir.resolve("secret.json"), "{\"control-token\":\""
				+ Base64.getEncoder().encodeToString(TOKEN.getBytes(StandardCharsets.UTF_8)) + "\"}");
		run(Duration.ofMinutes(1), "podman", "secret", "create", secret, secretFile.toString());
		try {
			run(Duration.ofMinutes(3), "podman", "kube", "play", manifest.toString());
			String pod = run(Duration.ofMinutes(1), "podman", "pod", "ps", "--filter", "name=" + name, "--format",
					"{{.Name}}").strip();
			String container = pod + "-" + app.get("name");

			// The probes, as the kubelet sends them: the startup probe first, within its budget.
			Map<String, Object> startup = (Map<String, Object>) app.get("startupProbe");
			Duration budget = Duration.ofSeconds(
					(int) startup.get("periodSeconds") * (long) (int) startup.get("failureThreshold"));
			await("the startup probe", budget, () -> call(() -> probe(startup, hostPorts) == 200));
			assertThat(probe((Map<String, Object>) app.get("readinessProbe"), hostPorts)).isEqualTo(200);
			assertThat(probe((Map<String, Object>) app.get("livenessProbe"), hostPorts)).isEqualTo(200);

			// The Service's target port is the application; the Secret's token opens the master's status.
			String target = (String) ((List<Map<String, Object>>) path(service, "spec", "ports")).stream()
				.filter((port) -> "http".equals(port.get("name")))
				.findFirst()
				.orElseThrow()
				.get("targetPort");
			assertThat(MasterProcess.request(hostPorts.get(target), "GET", "/whoami", Map.of()).status())
				.isEqualTo(200);
			JsonNode status = status(hostPorts.get("management"));
			assertThat(status).as("the status with the Secret's token").isNotNull();
			assertThat(status.get("pid").asLong()).isEqualTo(1);
			assertThat(status.get("targetWorkers").asInt()).isEqualTo(Integer.parseInt(env.get("PREFORK_WORKERS")));
			assertThat(status.get("memory").get("limitBytes").asLong()).as("the pod's memory limit")
				.isEqualTo(2L * 1024 * 1024 * 1024);

			// The pod's stop: TERM to the master, which drains its workers and exits 0.
			run(Duration.ofMinutes(2), "podman", "pod", "stop", pod);
			assertThat(run(Duration.ofMinutes(1), "podman", "inspect", container, "--format", "{{.State.ExitCode}}")
				.strip()).isEqualTo("0");
			assertThat(logs(container)).contains("Stopping 2 workers with SIGTERM").contains("Master (pid 1) stopped");
			run(Duration.ofMinutes(2), "podman", "kube", "down", manifest.toString());
		}
		finally {
			MasterProcess.run(Duration.ofMinutes(2), null, "podman", "kube", "down", manifest.toString());
			MasterProcess.run(Duration.ofMinutes(1), null, "podman", "secret", "rm", secret);
			Files.delete(secretFile);
			Files.delete(manifest);
			Files.delete(dir);
		}
	}

	/** What the kubelet's {@code httpGet} probe gets: the status of the path on the named port. */
	@SuppressWarnings("unchecked")
	private static int probe(Map<String, Object> probe, Map<String, Integer> hostPorts) throws Exception {
		Map<String, Object> get = (Map<String, Object>) probe.get("httpGet");
		try {
			return MasterProcess.request(hostPorts.get((String) get.get("port")), "GET", (String) get.get("path"), Map.of())
				.status();
		}
		catch (java.io.IOException ex) {
			return -1; // not listening yet: a failed probe
		}
	}

	@SuppressWarnings("unchecked")
	private static Object path(Map<String, Object> map, String... keys) {
		Object value = map;
		for (String key : keys) {
			value = ((Map<String, Object>) value).get(key);
		}
		return value;
	}

	/** The master's status document, with the token; null while it does not answer yet. */
	private static JsonNode status(int management) throws Exception {
		MasterProcess.Response response;
		try {
			response = MasterProcess.request(management, "GET", "/actuator/prefork",
					Map.of("Authorization", "Bearer " + TOKEN));
		}
		catch (java.io.IOException ex) {
			return null; // the master is not listening yet
		}
		return (response.status() == 200) ? json.readTree(response.body()) : null;
	}

	private static int inflight(JsonNode status) {
		int inflight = 0;
		for (JsonNode worker : status.get("workers")) {
			inflight += worker.get("inflight").asInt();
		}
		return inflight;
	}

	/** Waits for {@code count} ready workers of a generation; the status, with the token. */
	private static JsonNode awaitReady(int management, int count, int generation) throws Exception {
		JsonNode[] last = new JsonNode[1];
		await(count + " ready workers of generation " + generation, Duration.ofMinutes(4), () -> call(() -> {
			JsonNode status = status(management);
			if (status == null) {
				return false;
			}
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
