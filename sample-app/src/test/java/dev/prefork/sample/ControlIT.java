package dev.prefork.sample;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.prefork.sample.MasterProcess.Stack;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static dev.prefork.sample.MasterProcess.await;
import static dev.prefork.sample.MasterProcess.isRunning;
import static dev.prefork.sample.MasterProcess.pids;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every door into the master besides signals, against a real master: the HTTP endpoints,
 * the master FIFO, the touch file, the {@code --prefork.signal} command line and
 * {@code PreforkControl} in application code.
 */
@Timeout(300)
class ControlIT {

	private static final String PREFORK = "/actuator/prefork/";

	/**
	 * These tests are about the doors, not sizing: with it, a scale-up also replaces the
	 * larger workers (MemoryBudgetIT covers that), which would change the pids they follow.
	 */
	private static final String NO_SIZING = "--prefork.memory.size-workers=false";

	@TempDir
	Path temp;

	@ParameterizedTest
	@MethodSource("dev.prefork.sample.MasterProcess#matrix")
	void endpointsChangeTheWorkersAsTheSignalsDoAndBadRequestsChangeNothing(Stack stack) throws Exception {
		try (MasterProcess master = MasterProcess.start(stack, NO_SIZING, "--prefork.workers=1")) {
			Set<Long> first = pids(master.awaitReady(1));
			assertRefused(master, "scale", "{\"workers\":0}", 400, "cannot scale to 0 workers: the range is 1 to 64");
			assertRefused(master, "scale", "{\"workers\":65}", 400, "(prefork.max-workers)");
			assertRefused(master, "scale", "{\"delta\":-1}", 400, "cannot scale to 0 workers");
			assertRefused(master, "scale", "{\"workers\":", 400, "malformed JSON");
			assertRefused(master, "scale", "{\"count\":2}", 400, "unknown field 'count' for scale");
			assertRefused(master, "scale", "{\"workers\":\"2\"}", 400, "'workers' must be an integer");
			assertRefused(master, "scale", "{}", 400, "give either {\"workers\":N} (absolute) or {\"delta\":±k}");
			assertRefused(master, "reload", "{\"strategy\":\"sideways\"}", 400, "unknown strategy 'sideways'");
			assertRefused(master, "stop", "{\"mode\":\"brutal\"}", 400, "unknown mode 'brutal'");
			assertRefused(master, "frobnicate", "", 404,
					"the commands are reload, stop, quick-stop, scale, scale-up, scale-down, reopen-logs, upgrade, stop-workers");
			assertRefused(master, "scale-up", "{\"workers\":3}", 400, "unknown field 'workers' for scale-up");
			// Actuator would read a query string as the command's fields, around the body's checks
			assertRefused(master, "scale?workers=2", "{}", 400, "a command takes no query string (?workers=2)");
			assertRefused(master, "scale?workers=2&workers=3", "", 400, "send its fields as a JSON body");
			assertRefused(master, "reopen-logs?foo=bar", "", 400, "a command takes no query string (?foo=bar)");
			assertRefused(master, "stop?mode=quick", "{\"mode\":\"graceful\"}", 400, "a command takes no query string");
			assertThat(master.output()).doesNotContain("Reopening log files (source: http)");
			JsonNode unchanged = master.status();
			assertThat(pids(unchanged)).isEqualTo(first);
			assertThat(unchanged.get("targetWorkers").asInt()).isEqualTo(1);

			assertAccepted(master, "scale", "{\"workers\":2}", "scaling from 1 to 2 workers");
			assertThat(pids(master.awaitReady(2))).containsAll(first);
			assertAccepted(master, "scale-down", "", "scaling from 2 to 1 workers");
			assertThat(pids(master.awaitReady(1))).isEqualTo(first);

			assertAccepted(master, "reload", "", "reload starting generation 2 with 1 worker, rolling");
			assertRefused(master, "reload", "", 409, "a reload to generation 2 is running");
			master.awaitStatus("generation 2 ready", (s) -> s.get("generation").asInt() == 2
					&& s.get("state").asString().equals("running") && s.get("workers").size() == 1
					&& s.get("workers").get(0).get("generation").asInt() == 2);
			long old = first.iterator().next();
			await("the generation 1 worker to exit", Duration.ofSeconds(60), () -> !isRunning(old));

			assertAccepted(master, "reopen-logs", "", "log files reopened in the master; 1 worker(s)");
			assertThat(master.output()).contains("Reopening log files (source: http)")
				.contains("Scaling from 1 to 2 workers (source: http)")
				.contains("Reloading (source: http): starting generation 2");

			assertAccepted(master, "stop", "{\"mode\":\"graceful\"}", "graceful stop of the master");
			assertThat(master.awaitExit(Duration.ofSeconds(60))).isZero();
		}
	}

	@Test
	void fifoTouchFileCommandLineAndApplicationCodeTakeTheSamePath() throws Exception {
		Path pidfile = this.temp.resolve("master.pid");
		Path fifo = this.temp.resolve("master.fifo");
		Path touch = this.temp.resolve("reload.touch");
		// prefork.signal is a command-line option: in a configuration file it changes nothing,
		// neither at start nor at a reload, which reads that file again
		Path config = Files.writeString(this.temp.resolve("extra.properties"), "prefork.signal=stop\n");
		try (MasterProcess master = MasterProcess.start(NO_SIZING, "--prefork.workers=1", "--prefork.pidfile=" + pidfile,
				"--prefork.master-fifo=" + fifo, "--prefork.touch-reload=" + touch,
				"--spring.config.additional-location=file:" + config, MasterProcess.TEST_ENDPOINTS)) {
			master.awaitReady(1);
			assertThat(master.output()).contains("Ignoring prefork.signal: it is a command-line option");
			Files.writeString(fifo, "+\n");
			master.awaitReady(2);
			Files.writeString(fifo, "x");
			master.awaitLog("ignored 1 unknown command byte ('x')");
			Files.writeString(fifo, "-");
			master.awaitReady(1);
			assertThat(master.output()).contains("Scaling from 1 to 2 workers (source: fifo)");
			Files.writeString(fifo, "l");
			master.awaitLog("Reopening log files (source: fifo)");
			Files.writeString(fifo, "r");
			master.awaitStatus("the FIFO reload", (s) -> generationReady(s, 2));
			assertThat(master.output()).contains("Reloading (source: fifo)");

			Files.writeString(touch, "");
			master.awaitStatus("the touch reload", (s) -> generationReady(s, 3));
			assertThat(master.output()).contains("Reloading (source: file)");

			Cli scaleUp = cli("--prefork.signal=scale-up", "--prefork.pidfile=" + pidfile);
			assertThat(scaleUp.code()).as(scaleUp.output()).isZero();
			assertThat(scaleUp.output()).contains("Sent SIGTTIN (scale-up) to the master, pid " + master.pid());
			Set<Long> two = pids(master.awaitReady(2));

			// the status command: a table a person reads, or the document with --json
			String managementPort = "--management.server.port=" + master.managementPort;
			Cli table = cli("--prefork.signal=status", "--prefork.pidfile=" + pidfile, managementPort);
			assertThat(table.code()).as(table.output()).isZero();
			assertThat(table.output()).contains("master " + master.pid() + ", running, generation 3: 2 of 2 workers ready")
				.containsPattern("SLOT +PID +GEN +STATE +AGE +REQUESTS +INFLIGHT +RSS +HEAP MAX +HEARTBEAT");
			for (long pid : two) {
				assertThat(table.output()).containsPattern("\\n[01] +" + pid + " +3 +ready +[0-9ms]+ +[0-9]+ +[0-9]+ +[0-9]+ MiB");
			}
			Cli json = cli("--prefork.signal=status", "--prefork.pidfile=" + pidfile, managementPort, "--json");
			assertThat(json.code()).as(json.output()).isZero();
			JsonNode document = tools.jackson.databind.json.JsonMapper.builder().build()
				.readTree(json.output().substring(json.output().indexOf('{')));
			assertThat(document.get("pid").asLong()).isEqualTo(master.pid());
			assertThat(pids(document)).isEqualTo(two);
			// the token goes only to a port the master serves itself: not the workers' shared socket
			Cli workers = cli("--prefork.signal=status", "--prefork.pidfile=" + pidfile,
					"--management.server.port=" + master.port());
			assertThat(workers.code()).isEqualTo(1);
			assertThat(workers.output()).contains("prefork.signal=status: the master (pid " + master.pid()
					+ ") does not serve http://127.0.0.1:" + master.port() + "/actuator/prefork itself");
			Cli nobody = cli("--prefork.signal=status", "--prefork.pidfile=" + pidfile, "--management.server.port=1");
			assertThat(nobody.code()).isEqualTo(1);
			assertThat(nobody.output()).contains("does not serve http://127.0.0.1:1/actuator/prefork itself");

			assertThat(master.post("/admin/reload").json().get("reloadRequested").asBoolean()).isTrue();
			// prefork.workers is still 1 after the reload: the 2 workers scaled to at runtime stay
			master.awaitStatus("the reload asked for by application code", (s) -> generationReady(s, 4)
					&& s.get("workers").size() == 2);
			assertThat(master.output()).contains("Reloading (source: application)")
				.contains("Keeping the 2 workers scaled to at runtime (prefork.workers is still 1)");

			Files.writeString(fifo, "q");
			assertThat(master.awaitExit(Duration.ofSeconds(60))).isZero();
			assertThat(master.output()).contains("Accepted graceful stop (source: fifo)");
		}
		assertThat(fifo).as("the master removes the FIFO it created").doesNotExist();
	}

	@Test
	void commandLineSaysWhyItCannotSignal() throws Exception {
		Cli unknown = cli("--prefork.signal=explode", "--prefork.pidfile=" + this.temp.resolve("none.pid"));
		assertThat(unknown.code()).isEqualTo(2);
		assertThat(unknown.output()).contains("unknown command 'explode'; use one of reload, stop, quick-stop");

		Cli missing = cli("--prefork.signal=reload", "--prefork.pidfile=" + this.temp.resolve("none.pid"));
		assertThat(missing.code()).isEqualTo(1);
		assertThat(missing.output()).contains("No pidfile at " + this.temp.resolve("none.pid"));

		Process gone = new ProcessBuilder("true").start();
		gone.waitFor();
		Path stale = this.temp.resolve("stale.pid");
		Files.writeString(stale, gone.pid() + "\n");
		Cli staleCli = cli("--prefork.signal=reload", "--prefork.pidfile=" + stale);
		assertThat(staleCli.code()).isEqualTo(1);
		assertThat(staleCli.output()).contains("names pid " + gone.pid() + ", which is not a running master");
	}

	@Test
	void nonLoopbackManagementNeedsATokenAndCommandsThenCarryIt() throws Exception {
		MasterProcess.Exited refused = MasterProcess.runToExit("--management.server.address=0.0.0.0");
		assertThat(refused.code()).isEqualTo(1);
		assertThat(refused.output()).contains("listens on 0.0.0.0, which is not a loopback address")
			.contains("Set prefork.control.token");
		MasterProcess.Exited everyAddress = MasterProcess.runToExit("--management.server.address=");
		assertThat(everyAddress.code()).isEqualTo(1);
		assertThat(everyAddress.output()).contains("listens on every address (management.server.address is empty)");

		// the token from a file only this user can read, the recommended way; the application's
		// servlet path is the workers', not the master's, whose endpoints are below
		// management.server.base-path only
		Path tokenFile = Files.writeString(this.temp.resolve("token"), "s3cret\n");
		Files.setPosixFilePermissions(tokenFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
		List<String> args = new java.util.ArrayList<>(List.of(NO_SIZING, "--prefork.workers=1", "--management.server.address=0.0.0.0",
				"--prefork.control.token-file=" + tokenFile, "--spring.mvc.servlet.path=/api",
				"--management.server.base-path=/manage"));
		args.addAll(MasterProcess.managementTls(this.temp));
		try (MasterProcess master = MasterProcess.start(args.toArray(String[]::new))) {
			MasterProcess.Response underServletPath = awaitAnswer(master, "/api/actuator/prefork",
					java.util.Map.of("Authorization", "Bearer nope"));
			assertThat(underServletPath.status()).as("status under the servlet path without the token: "
					+ underServletPath.body()).isIn(401, 404);
			Set<Long> first = pids(master.awaitReady(1));
			assertThat(master.output()).doesNotContain("without TLS").doesNotContain("is given on the command line");
			long worker = first.iterator().next();
			assertThat(MasterProcess.commandLine(worker)).as("worker command line")
				.contains("--management.server.address=0.0.0.0")
				.doesNotContain("s3cret")
				.as("the management server's key store is the master's").doesNotContain("management.server.ssl");
			assertThat(MasterProcess.environment(worker)).doesNotContain("s3cret");
			MasterProcess.Response anonymous = master.control(PREFORK + "scale", "{\"workers\":2}", null);
			assertThat(anonymous.status()).isEqualTo(401);
			assertThat(anonymous.body()).contains("requires the bearer token of prefork.control.token");
			assertThat(master.control(PREFORK + "scale", "{\"workers\":2}", "Bearer wrong").status()).isEqualTo(401);
			// Every spelling of the path that Tomcat and Spring route to the endpoint, without the token.
			for (String path : List.of("/actuator/prefork;x/scale", "/actuator/%70refork/scale",
					"/actuator/prefork/%73cale", "//actuator//prefork/scale", "/actuator/prefork/scale/",
					"/actuator/PREFORK/scale", "/actuator/Prefork/Scale", "/actuator/x/../prefork/scale",
					"/actuator/./prefork/scale", "/actuator/prefork/scale;jsessionid=1", "/actuator/prefork",
					"/actuator/prefork;x")) {
				MasterProcess.Response sneaked = master.management("POST", path,
						java.util.Map.of("Content-Type", "application/json", "Authorization", "Bearer nope"),
						"{\"workers\":2}");
				assertThat(sneaked.status()).as(path + ": " + sneaked.body()).isIn(400, 401);
			}
			// Plain HTTP on the TLS management port: refused by the server, nothing of the master's answered.
			MasterProcess.Response plain = MasterProcess.request(master.managementPort, "GET", "/manage/health",
					java.util.Map.of());
			assertThat(plain.status()).as("plain HTTP on the TLS port: " + plain.body()).isEqualTo(400);
			assertThat(plain.body()).contains("requires TLS").doesNotContain("\"status\"");
			MasterProcess.Response status = master.management("GET", "/actuator/prefork;x",
					java.util.Map.of("Authorization", "Bearer nope"), "");
			assertThat(status.status()).as("status without the token").isEqualTo(401);
			assertThat(master.management("POST", "/actuator/loggers/dev.prefork",
					java.util.Map.of("Content-Type", "application/json", "Authorization", "Bearer nope"),
					"{\"configuredLevel\":\"DEBUG\"}").status()).as("any write operation").isEqualTo(401);
			assertThat(master.management("GET", "/actuator/env", java.util.Map.of("Authorization", "Bearer nope"), "")
				.status()).as("reading one of the application's endpoints").isEqualTo(401);
			MasterProcess.Response withToken = master.management("GET", "/actuator/env", java.util.Map.of(), "");
			assertThat(withToken.status()).as("the worker's answer: not exposed").isEqualTo(404);
			assertThat(withToken.header("Prefork-Worker")).isEqualTo("0");
			assertThat(master.management("GET", "/actuator/health", java.util.Map.of("Authorization", "Bearer nope"), "")
				.status()).as("probes need no token").isEqualTo(200);
			assertThat(master.management("GET", "/actuator/prometheus", java.util.Map.of("Authorization", "Bearer nope"),
					"").status()).as("scrapers need no token").isEqualTo(200);
			// On every address, the token is what guards: with it any Host passes; without it,
			// only an address or a name the master answers to (a rebound name is not one)
			assertThat(master.management("GET", "/actuator/health", java.util.Map.of("Authorization", "Bearer nope",
					"Host", "10.1.2.3:" + master.managementPort), "").status()).as("an address in Host").isEqualTo(200);
			assertThat(master.management("GET", "/actuator/health", java.util.Map.of("Authorization", "Bearer nope",
					"Host", "evil.example:" + master.managementPort), "").status()).as("a rebound name").isEqualTo(421);
			assertThat(master.management("GET", "/actuator/prefork",
					java.util.Map.of("Host", "evil.example:" + master.managementPort), "").status())
				.as("with the token").isEqualTo(200);
			assertThat(pids(master.status())).isEqualTo(first);
			assertThat(master.status().get("targetWorkers").asInt()).isEqualTo(1);
			MasterProcess.Response allowed = master.control(PREFORK + "scale", "{\"workers\":2}", "Bearer s3cret");
			assertThat(allowed.status()).as(allowed.body()).isEqualTo(202);
			master.awaitReady(2);
		}
	}

	@Test
	void aTokenInAnySpellingSpringBindsNeverReachesAWorker() throws Exception {
		try (MasterProcess master = MasterProcess.startWithEnvironment(java.util.Map.of("PREFORK_CONTROL_TOKEN_", "envs3cret"),
				"--prefork.workers=1", "--prefork.control[token]=s3cret")) {
			long worker = pids(master.awaitReady(1)).iterator().next();
			master.awaitLog("prefork.control.token is given on the command line (prefork.control[token]), which every user "
					+ "of this machine can read");
			assertThat(MasterProcess.commandLine(worker)).contains("--prefork.workers=1").doesNotContain("s3cret");
			assertThat(MasterProcess.environment(worker)).doesNotContain("s3cret");
			assertThat(master.control(PREFORK + "scale", "{\"workers\":2}", null).status()).isEqualTo(401);
			MasterProcess.Response allowed = master.control(PREFORK + "scale", "{\"workers\":2}", "Bearer s3cret");
			assertThat(allowed.status()).as(allowed.body()).isEqualTo(202);
		}
	}

	@ParameterizedTest
	@MethodSource("dev.prefork.sample.MasterProcess#matrix")
	void browserPagesCannotSendCommandsToALoopbackMaster(Stack stack) throws Exception {
		try (MasterProcess master = MasterProcess.start(stack, NO_SIZING, "--prefork.workers=1",
				"--prefork.control.allowed-hosts=admin.example")) {
			Set<Long> first = pids(master.awaitReady(1));
			String scale = "{\"workers\":2}";
			// text/plain and form types need no CORS preflight, whatever their parameters say
			assertThat(master.management("POST", PREFORK + "scale", java.util.Map.of("Content-Type", "text/plain;x=json"),
					scale).status()).isEqualTo(415);
			assertThat(master.management("POST", PREFORK + "stop",
					java.util.Map.of("Content-Type", "application/x-www-form-urlencoded"), "").status()).isEqualTo(415);
			assertThat(master.management("POST", PREFORK + "stop", java.util.Map.of("Origin", "http://evil.example"), "")
				.status()).isEqualTo(403);
			assertThat(master.management("POST", PREFORK + "stop", java.util.Map.of("Sec-Fetch-Site", "cross-site"), "")
				.status()).isEqualTo(403);
			assertThat(master.management("POST", PREFORK + "stop",
					java.util.Map.of("Origin", "http://localhost:" + master.managementPort + ".evil.example"), "").status())
				.isEqualTo(403);
			// DNS rebinding: a page of evil.example whose name the attacker now resolves to
			// 127.0.0.1 is its own origin to the browser, and says so in every header
			java.util.Map<String, String> rebound = java.util.Map.of("Host", "evil.example:" + master.managementPort,
					"Origin", "http://evil.example:" + master.managementPort, "Sec-Fetch-Site", "same-origin");
			for (String command : List.of("reload", "scale", "stop")) {
				MasterProcess.Response refused = master.management("POST", PREFORK + command, rebound, "");
				assertThat(refused.status()).as(command + ": " + refused.body()).isEqualTo(421);
				assertThat(refused.json().get("message").asString())
					.contains("Host evil.example:" + master.managementPort + " is not a name of this master")
					.contains("prefork.control.allowed-hosts");
			}
			assertThat(master.management("GET", "/actuator/prefork", rebound, "").status()).as("the status").isEqualTo(421);
			assertThat(master.management("GET", "/actuator/health", rebound, "").status()).as("health").isEqualTo(421);
			master.awaitLog("Refused POST /actuator/prefork/reload from 127.0.0.1 with 421: Host evil.example:");
			assertThat(master.management("GET", "/actuator/prefork",
					java.util.Map.of("Host", "admin.example:" + master.managementPort), "").status())
				.as("a name of prefork.control.allowed-hosts").isEqualTo(200);
			assertThat(master.management("GET", "/actuator/prefork",
					java.util.Map.of("Host", "[::1]:" + master.managementPort), "").status()).isEqualTo(200);
			// the page of another port of a name the master answers to is another origin
			assertThat(master.management("POST", PREFORK + "stop", java.util.Map.of("Origin", "http://localhost:3000"), "")
				.status()).isEqualTo(403);
			// a path spelled otherwise still has its body checked
			MasterProcess.Response sneaked = master.management("POST", "/actuator/prefork;x/scale",
					java.util.Map.of("Content-Type", "application/json"), "{\"count\":2}");
			assertThat(sneaked.status()).as(sneaked.body()).isEqualTo(400);
			assertThat(master.isAlive()).isTrue();
			assertThat(pids(master.status())).isEqualTo(first);
			MasterProcess.Response sameOrigin = master.management("POST", PREFORK + "scale", java.util.Map.of(
					"Content-Type", "application/vnd.prefork+json", "Origin", "http://localhost:" + master.managementPort),
					scale);
			assertThat(sameOrigin.status()).as(sameOrigin.body()).isEqualTo(202);
			master.awaitReady(2);
			MasterProcess.Response allowedName = master.management("POST", PREFORK + "reopen-logs", java.util.Map.of(
					"Host", "admin.example:" + master.managementPort, "Origin", "http://admin.example:" + master.managementPort),
					"");
			assertThat(allowedName.status()).as(allowedName.body()).isEqualTo(202);
		}
	}

	/** The first answer of the management server to a GET, once it is up. */
	private static MasterProcess.Response awaitAnswer(MasterProcess master, String path, java.util.Map<String, String> headers)
			throws Exception {
		long deadline = System.nanoTime() + MasterProcess.BOOT.toNanos();
		while (true) {
			try {
				return master.management("GET", path, headers, "");
			}
			catch (java.io.IOException ex) {
				assertThat(master.isAlive()).as(master.tail()).isTrue();
				assertThat(System.nanoTime()).as("the management server to answer\n" + master.tail()).isLessThan(deadline);
				Thread.sleep(100);
			}
		}
	}

	private static boolean generationReady(JsonNode status, int generation) {
		if (status.get("generation").asInt() != generation || !status.get("state").asString().equals("running")) {
			return false;
		}
		for (JsonNode worker : status.get("workers")) {
			if (worker.get("generation").asInt() != generation || !worker.get("state").asString().equals("ready")) {
				return false;
			}
		}
		return true;
	}

	private static void assertAccepted(MasterProcess master, String command, String body, String message)
			throws Exception {
		MasterProcess.Response response = master.control(PREFORK + command, body);
		assertThat(response.status()).as(response.body()).isEqualTo(202);
		assertThat(response.json().get("message").asString()).startsWith(message);
	}

	private static void assertRefused(MasterProcess master, String command, String body, int status, String message)
			throws Exception {
		MasterProcess.Response response = master.control(PREFORK + command, body);
		assertThat(response.status()).as(response.body()).isEqualTo(status);
		assertThat(response.json().get("result").asString()).isEqualTo("refused");
		assertThat(response.json().get("message").asString()).contains(message);
	}

	/** Runs {@code java -jar sample-app.jar args...} as a one-shot command. */
	private Cli cli(String... args) throws Exception {
		List<String> command = new ArrayList<>(List.of(MasterProcess.JAVA, "-jar", MasterProcess.JAR.toString()));
		command.addAll(List.of(args));
		Path output = Files.createTempFile(this.temp, "cli-", ".log");
		Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
		if (!process.waitFor(60, TimeUnit.SECONDS)) {
			process.destroyForcibly();
		}
		return new Cli(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
	}

	private record Cli(int code, String output) {
	}


}
