package dev.prefork.sample;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.prefork.sample.MasterProcess.Stack;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static dev.prefork.sample.MasterProcess.await;
import static dev.prefork.sample.MasterProcess.call;
import static dev.prefork.sample.MasterProcess.pidOfSlot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A new worker serves warm-up requests to itself, on a private connector, before it takes
 * clients from the shared socket.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class WarmupIT {

	@TempDir
	Path temp;

	@ParameterizedTest
	@MethodSource("dev.prefork.sample.MasterProcess#stacks")
	void aWorkerServesItsWarmUpBeforeItsFirstClientAndNoClientReachesTheWarmUpPort(Stack stack) throws Exception {
		// A long warm-up (the JIT decides when it ends), so that the test sees it in progress.
		try (MasterProcess master = MasterProcess.start(stack, "--prefork.workers=1", "--prefork.warmup.max-requests=100000",
				"--prefork.warmup.start-duration=8s", "--prefork.warmup.duration=8s")) {
			JsonNode warming = master.awaitStatus("a warming worker",
					(s) -> s.get("workers").size() == 1 && state(s, 0).equals("warming"));
			long worker = pidOfSlot(warming, 0);

			// A client arriving now waits in the shared socket's queue until the worker is warm.
			CompletableFuture<JsonNode> firstClient = CompletableFuture.supplyAsync(() -> {
				try {
					return master.get("/whoami").json();
				}
				catch (IOException ex) {
					throw new IllegalStateException(ex);
				}
			});
			// The worker says WARMING, then opens its private connector: wait for it (the warm-up
			// itself lasts at least 4.5 s, its steady rule's shortest run).
			Set<Integer> warmupPorts = new HashSet<>();
			await("the worker's private warm-up connector", Duration.ofSeconds(30), () -> {
				warmupPorts.clear();
				warmupPorts.addAll(call(() -> listeningPorts(worker)));
				warmupPorts.remove(master.port());
				return !warmupPorts.isEmpty();
			});
			assertThat(warmupPorts).as("the worker's private warm-up connector").hasSize(1);
			int warmupPort = warmupPorts.iterator().next();
			MasterProcess.Response stranger = MasterProcess.get(warmupPort, "/whoami");
			assertThat(stranger.status()).as("a request without the warm-up key").isEqualTo(403);
			assertThat(stranger.body()).doesNotContain("servedBefore");

			JsonNode first = firstClient.get(2, TimeUnit.MINUTES);
			assertThat(first.get("pid").asLong()).isEqualTo(worker);
			JsonNode ready = master.awaitReady(1);
			assertThat(pidOfSlot(ready, 0)).isEqualTo(worker);
			assertThatExceptionOfType(ConnectException.class).as("the warm-up port is closed once the worker is ready")
				.isThrownBy(() -> MasterProcess.get(warmupPort, "/whoami"));
			assertThat(master.output()).contains("warming up before it takes requests").contains("Warmed up with");

			String metrics = master.management("GET", "/actuator/prometheus", Map.of(), "").body();
			assertThat(metrics).contains("prefork_workers{state=\"warming\"}")
				.containsPattern("prefork_worker_warmup_requests_total [1-9]")
				.containsPattern("prefork_worker_warmup_duration_seconds_count 1(\\.0)?\\n")
				.contains("prefork_worker_warmup_errors_total 0");
			// Every warm-up request, none fewer, was served before the first client's: it waited for the end.
			Matcher warmupRequests = Pattern.compile("(?m)^prefork_worker_warmup_requests_total ([0-9.]+)$").matcher(metrics);
			assertThat(warmupRequests.find()).as("the warm-up's request count in\n" + metrics).isTrue();
			assertThat(first.get("servedBefore").asLong()).as("warm-up requests the controller served first")
				.isGreaterThanOrEqualTo(100)
				.isEqualTo((long) Double.parseDouble(warmupRequests.group(1)));
			// The application's own metrics saw the one client request, none of the warm-up's.
			await("the client's request in the worker's metrics", Duration.ofSeconds(30),
					() -> whoamiRequests(master) >= 1);
			assertThat(whoamiRequests(master)).as("http.server.requests for /whoami").isEqualTo(1);
		}
	}

	/** {@code http.server.requests} of {@code /whoami} in the master's scrape, summed over their tags. */
	private static long whoamiRequests(MasterProcess master) {
		String metrics = call(() -> master.management("GET", "/actuator/prometheus", Map.of(), "").body());
		Matcher counts = Pattern.compile("(?m)^http_server_requests_seconds_count\\{[^}]*uri=\"/whoami\"[^}]*\\} ([0-9.]+)$")
			.matcher(metrics);
		long sum = 0;
		while (counts.find()) {
			sum += (long) Double.parseDouble(counts.group(1));
		}
		return sum;
	}

	@Test
	void aWarmUpAnsweredOnlyWith5xxAbortsTheReload() throws Exception {
		Path config = this.temp.resolve("warmup.properties");
		Files.writeString(config, "\n");
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1",
				"--spring.config.additional-location=file:" + config)) {
			long old = pidOfSlot(master.awaitReady(1), 0);
			Files.writeString(config, "prefork.warmup.requests[0].path=/broken\nprefork.warmup.record=false\n");
			master.signal("HUP");
			JsonNode failed = master.awaitStatus("the reload to fail",
					(s) -> s.get("lastReload") != null && !s.get("lastReload").isNull()
							&& s.get("lastReload").get("result").asString().equals("failed"));
			assertThat(failed.get("lastReload").get("message").asString()).contains("aborted");
			assertThat(master.output()).contains("Warm-up failed").contains("GET /broken: 500");
			JsonNode after = master.awaitReady(1);
			assertThat(pidOfSlot(after, 0)).as("the old worker keeps serving").isEqualTo(old);
			assertThat(master.get("/whoami").json().get("generation").asInt()).isEqualTo(1);
		}
	}

	@Test
	void recordedPathsCarryNoCredentialsToTheNextWorker() throws Exception {
		// Heartbeats, which carry the paths, every 3 s.
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--prefork.timeout=12s",
				"--prefork.warmup.requests[0].path=/sleep?ms=0")) {
			long first = pidOfSlot(master.awaitReady(1), 0);
			Map<String, String> credentials = Map.of("Authorization", "Bearer s3cret-token", "Cookie",
					"SESSION=s3cret-cookie");
			for (int i = 0; i < 10; i++) {
				assertThat(MasterProcess.request(master.port(), "GET", "/whoami?api_key=s3cret-query", credentials)
					.status()).isEqualTo(200);
			}
			JsonNode recorded = master.awaitStatus("/whoami recorded",
					(s) -> paths(s).contains("/whoami"));
			assertThat(paths(recorded)).allSatisfy((path) -> assertThat(path).doesNotContain("s3cret").doesNotContain("?"));

			MasterProcess.kill("KILL", first);
			JsonNode respawned = master.awaitStatus("a new worker",
					(s) -> s.get("workers").size() == 1 && pidOfSlot(s, 0) != first && state(s, 0).equals("ready"));
			long next = pidOfSlot(respawned, 0);
			String environment = MasterProcess.environment(next);
			assertThat(environment).contains("PREFORK_WARMUP_PATHS=/whoami").doesNotContain("s3cret");
			JsonNode whoami = master.get("/whoami").json();
			assertThat(whoami.get("pid").asLong()).isEqualTo(next);
			assertThat(whoami.get("servedBefore").asLong()).as("the recorded path was warmed up").isPositive();
			assertThat(whoami.get("withCredentialsBefore").asLong()).as("warm-up requests with credentials").isZero();
		}
	}

	private static String state(JsonNode status, int index) {
		return status.get("workers").get(index).get("state").asString();
	}

	private static List<String> paths(JsonNode status) {
		List<String> paths = new ArrayList<>();
		status.get("warmupPaths").forEach((path) -> paths.add(path.asString()));
		return paths;
	}

	/** The TCP ports a process listens on: its socket inodes matched against /proc/net/tcp. */
	private static Set<Integer> listeningPorts(long pid) throws IOException {
		Set<String> inodes = new HashSet<>();
		try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
			for (Path fd : fds.toList()) {
				try {
					String target = Files.readSymbolicLink(fd).toString();
					if (target.startsWith("socket:[")) {
						inodes.add(target.substring(8, target.length() - 1));
					}
				}
				catch (IOException ex) {
					// closed meanwhile
				}
			}
		}
		Set<Integer> ports = new HashSet<>();
		for (String table : List.of("tcp", "tcp6")) {
			List<String> lines = Files.readAllLines(Path.of("/proc/" + pid + "/net/" + table));
			for (String line : lines.subList(1, lines.size())) {
				String[] fields = line.trim().split("\\s+");
				if (fields[3].equals("0A") && inodes.contains(fields[9])) {
					ports.add(Integer.parseInt(fields[1].substring(fields[1].indexOf(':') + 1), 16));
				}
			}
		}
		return ports;
	}

}
