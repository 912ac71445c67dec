package dev.prefork.sample;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpServer;
import dev.prefork.sample.MasterProcess.Stack;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static dev.prefork.sample.MasterProcess.pidOfSlot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The master's {@code /actuator/prometheus} as the single scrape target: every worker's own
 * meters labelled by slot, valid text for {@code promtool}, a stopped worker that costs the
 * scrape only its timeout, and a real Prometheus server answering every query of the
 * Grafana dashboard, with a target that stays up whatever raw lines a worker sends.
 */
@Timeout(420)
class MetricsIT {

	private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

	private static final List<String> MASTER_FAMILIES = List.of("prefork_workers", "prefork_workers_target_workers",
			"prefork_worker_spawns_total", "prefork_worker_boot_duration_seconds",
			"prefork_worker_heartbeat_age_seconds", "prefork_worker_requests_total", "prefork_worker_inflight_requests",
			"prefork_worker_resident_memory_bytes", "prefork_worker_cpu_seconds_total", "prefork_worker_up",
			"prefork_worker_info", "prefork_listen_queue_length_connections", "prefork_listen_queue_max_connections",
			"prefork_build_info", "prefork_reload_duration_seconds");

	/**
	 * Worker lines Prometheus 2.42 refuses: one of them in the master's scrape and the target is
	 * down, every series of the master and of every worker lost.
	 */
	private static final List<String> REFUSED_BY_PROMETHEUS = List.of(
			gauge("sample_raw{case=\"duplicate\",a=\"1\",a=\"2\"} 1"), gauge("sample_raw{case=\"plus-nan\"} +NaN"),
			gauge("sample_raw{case=\"overflow\"} 1e400"), gauge("sample_raw{case=\"hex\"} 0x1p3"),
			gauge("sample_raw{case=\"underscore\"} 1_000"),
			gauge("sample_raw{case=\"timestamp-range\"} 1 9223372036854775808"),
			gauge("sample_raw{case=\"timestamp-negative\"} 1 -1"),
			gauge("sample_raw{case=\"name-label\",__name__=\"other\"} 1"),
			"# TYPE sample_raw_type bogus\nsample_raw_type{case=\"type\"} 1\n");

	/** Worker lines the server takes but promtool's reference parser (expfmt) refuses. */
	private static final List<String> REFUSED_BY_PROMTOOL = List.of(gauge("sample_raw{case=\"escape\",a=\"\\q\"} 1"),
			gauge("sample_raw{case=\"no-comma\" a=\"1\"} 1"), gauge("sample_raw{case=\"empty-twice\",a=\"\",a=\"1\"} 1"));

	/** Odd worker lines both take, and how the master writes them. */
	private static final Map<String, String> ACCEPTED = Map.of(gauge("sample_raw{case=\"ok\"} 1"),
			"sample_raw{worker=\"0\",case=\"ok\"} 1", gauge("sample_raw{case=\"lowercase-nan\"} nan"),
			"sample_raw{worker=\"0\",case=\"lowercase-nan\"} nan", gauge("sample_raw{case=\"tight\"}2"),
			"sample_raw{worker=\"0\",case=\"tight\"} 2");

	private static final JsonMapper json = JsonMapper.builder().build();

	@TempDir
	Path temp;

	/**
	 * What a user sees first: a clean start, scrapes, probes and a stop log no warning and no
	 * stack trace, master's and workers' lines alike.
	 */
	@ParameterizedTest
	@MethodSource("dev.prefork.sample.MasterProcess#matrix")
	void aCleanStartScrapeAndStopLogNoWarningAndNoStackTrace(Stack stack) throws Exception {
		try (MasterProcess master = MasterProcess.start(stack, "--prefork.workers=2")) {
			master.awaitReady(2);
			for (int i = 0; i < 10; i++) {
				assertThat(master.get("/whoami").status()).isEqualTo(200);
			}
			assertThat(scrape(master)).contains("prefork_worker_up{worker=\"1\"} 1.0");
			assertThat(scrape(master)).contains("prefork_worker_up{worker=\"0\"} 1.0");
			assertThat(master.management("GET", "/actuator/health", Map.of(), "").status()).isEqualTo(200);
			master.signal("TERM");
			assertThat(master.awaitExit(Duration.ofSeconds(60))).isZero();
			List<String> noisy = master.output()
				.lines()
				// how the test runs the master, not the master: a shell in the background ignores SIGINT
				.filter((line) -> !line.contains("SIGINT was ignored when the master started"))
				.filter((line) -> line.contains(" WARN ") || line.contains(" ERROR ") || line.startsWith("\tat ")
						|| line.startsWith("Caused by") || line.contains("Exception"))
				.toList();
			assertThat(noisy).as("warnings, errors and stack traces of a clean start, scrape and stop").isEmpty();
		}
	}

	@ParameterizedTest
	@MethodSource("dev.prefork.sample.MasterProcess#matrix")
	void scrapeHasEveryWorkersMetersBySlotAsValidPrometheusText(Stack stack) throws Exception {
		try (MasterProcess master = MasterProcess.start(stack, "--prefork.workers=2")) {
			JsonNode status = master.awaitReady(2);
			for (int i = 0; i < 10; i++) {
				master.get("/whoami");
			}
			String text = scrape(master);
			assertThat(text).contains("jvm_threads_live_threads{worker=\"0\"", "jvm_threads_live_threads{worker=\"1\"",
					"http_server_requests_seconds_count{worker=\"", "prefork_worker_up{worker=\"0\"} 1.0",
					"prefork_worker_up{worker=\"1\"} 1.0");
			for (String family : MASTER_FAMILIES) {
				assertThat(text).as(family).contains("# TYPE " + family + " ");
			}
			assertThat(text).doesNotContain("pid=\"");
			assertWellFormed(text);
			master.signal("USR1");
			master.awaitLog("Reopening log files (source: signal)");
			assertThat(scrape(master)).as("counted by the master loop").contains(
					"prefork_signals_total{signal=\"USR1\"} 1.0",
					"prefork_control_commands_total{command=\"reopen-logs\",source=\"signal\"} 1.0");
			assertPromtoolAccepts(text);

			long stopped = pidOfSlot(status, 1);
			MasterProcess.kill("STOP", stopped);
			try {
				long start = System.nanoTime();
				String withoutSlot1 = scrape(master);
				assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
				assertThat(withoutSlot1).contains("prefork_worker_up{worker=\"1\"} 0.0",
						"prefork_worker_up{worker=\"0\"} 1.0", "prefork_scrape_errors_total{worker=\"1\"} 1.0",
						"jvm_threads_live_threads{worker=\"0\"")
					.doesNotContain("jvm_threads_live_threads{worker=\"1\"");
				assertScrapesBeyondTheLimitAreRefusedAndProbesAnswered(master);
			}
			finally {
				MasterProcess.kill("CONT", stopped);
			}
		}
	}

	@Test
	void realPrometheusHasDataForEveryDashboardQueryWhateverTheApplicationsMeters() throws Exception {
		run(ROOT.resolve("scripts/install-prometheus.sh").toString());
		List<String> raw = new ArrayList<>(REFUSED_BY_PROMETHEUS);
		raw.addAll(REFUSED_BY_PROMTOOL);
		raw.addAll(ACCEPTED.keySet());
		Path rawMeters = Files.writeString(this.temp.resolve("raw-meters.txt"), String.join("", raw));
		HttpServer rawServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		StringBuilder config = new StringBuilder("""
				global:
				  scrape_interval: 1s
				  scrape_timeout: 1s
				scrape_configs:
				""");
		for (int i = 0; i < raw.size(); i++) {
			byte[] body = raw.get(i).getBytes(StandardCharsets.UTF_8);
			rawServer.createContext("/raw/" + i, (exchange) -> {
				exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
				exchange.sendResponseHeaders(200, body.length);
				exchange.getResponseBody().write(body);
				exchange.close();
			});
			config.append(scrapeJob("raw-" + i, "/raw/" + i, 0));
		}
		// the latency percentiles panel needs the application's histogram, as its description says
		try (MasterProcess master = MasterProcess.start("--prefork.workers=2", "--sample.clashing-meters=true",
				"--sample.raw-meters=" + rawMeters, MasterProcess.TEST_ENDPOINTS,
				"--management.metrics.distribution.percentiles-histogram.http.server.requests=true")) {
			master.awaitReady(2);
			scrape(master); // counts the dropped lines the next scrape shows
			String text = scrape(master);
			int port = MasterProcess.freePort();
			rawServer.start();
			Path prometheusConfig = this.temp.resolve("prometheus.yml");
			Files.writeString(prometheusConfig,
					config.append(scrapeJob("prefork", "/actuator/prometheus", master.managementPort))
						.toString()
						.replace(":0']", ":" + rawServer.getAddress().getPort() + "']"));
			Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + prometheusConfig,
					"--storage.tsdb.path=" + this.temp.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
				.redirectErrorStream(true)
				.redirectOutput(this.temp.resolve("prometheus.log").toFile())
				.start();
			try {
				String base = "http://127.0.0.1:" + port;
				awaitData(base, List.of("up{job=\"prefork\"} == 1",
						"sample_jobs_total{worker=\"1\",exported_worker=\"mailer\"}",
						"sample_raw{worker=\"1\",case=\"tight\"}"), Duration.ofSeconds(60));
				Map<String, String> health = awaitTargets(base, raw.size() + 1, Duration.ofSeconds(60));
				for (int i = 0; i < raw.size(); i++) {
					String line = raw.get(i);
					if (REFUSED_BY_PROMETHEUS.contains(line)) {
						assertThat(health.get("raw-" + i)).as("Prometheus refuses, served alone: " + line).startsWith("down");
					}
					else {
						assertThat(health.get("raw-" + i)).as("Prometheus takes, served alone: " + line).isEqualTo("up ");
					}
					if (REFUSED_BY_PROMTOOL.contains(line)) {
						Path alone = Files.writeString(this.temp.resolve("raw-" + i + ".txt"), line);
						MasterProcess.Ran promtool = MasterProcess.run(Duration.ofMinutes(2), alone, "promtool", "check",
								"metrics");
						assertThat(promtool.output()).as("promtool refuses: " + line).contains("error");
					}
				}
				assertThat(health.get("prefork")).isEqualTo("up ");
				assertThat(text).contains("sample_jobs_total{worker=\"0\",exported_worker=\"mailer\"",
						"sample_jobs_total{worker=\"1\",exported_worker=\"mailer\"", "prefork_scrape_dropped_lines_total{worker=")
					.doesNotContain("prefork_workers{worker=");
				assertThat(text.lines().filter((line) -> line.startsWith("# TYPE sample_shape "))).hasSize(1);
				assertThat(text).contains(ACCEPTED.values()).doesNotContain("sample_raw_type", "\\q", "__name__");
				for (String refused : REFUSED_BY_PROMETHEUS.subList(0, REFUSED_BY_PROMETHEUS.size() - 1)) {
					assertThat(text).doesNotContain(refused.substring(refused.indexOf("case=")).split(",|\\}")[0]);
				}
				assertThat(droppedLines(text, 0)).as("dropped lines of worker 0")
					.isGreaterThanOrEqualTo(REFUSED_BY_PROMETHEUS.size() + REFUSED_BY_PROMTOOL.size());
				assertWellFormed(text);
				assertPromtoolAccepts(text);
				traffic(master, Duration.ofSeconds(3));
				master.post("/admin/reload");
				master.awaitStatus("the reload to end", (s) -> s.get("lastReload") != null && !s.get("lastReload").isNull());
				traffic(master, Duration.ofSeconds(5));
				List<String> queries = dashboardQueries();
				assertThat(queries).hasSizeGreaterThanOrEqualTo(13);
				awaitData(base, queries, Duration.ofSeconds(90));
			}
			finally {
				prometheus.destroy();
				if (!prometheus.waitFor(30, TimeUnit.SECONDS)) {
					prometheus.destroyForcibly().waitFor();
				}
			}
		}
		finally {
			rawServer.stop(0);
		}
	}

	private static String gauge(String sample) {
		return "# TYPE sample_raw gauge\n" + sample + "\n";
	}

	private static String scrapeJob(String name, String path, int port) {
		return """
				  - job_name: %s
				    metrics_path: %s
				    static_configs:
				      - targets: ['127.0.0.1:%d']
				""".formatted(name, path, port);
	}

	private static double droppedLines(String text, int slot) {
		String prefix = "prefork_scrape_dropped_lines_total{worker=\"" + slot + "\"} ";
		return text.lines()
			.filter((line) -> line.startsWith(prefix))
			.mapToDouble((line) -> Double.parseDouble(line.substring(prefix.length())))
			.findFirst()
			.orElse(0);
	}

	/**
	 * Polls Prometheus until it has scraped every target once.
	 * @return each job's health and last error ({@code "up "}, {@code "down <error>"})
	 */
	private static Map<String, String> awaitTargets(String base, int targets, Duration timeout) throws Exception {
		HttpClient client = HttpClient.newHttpClient();
		long deadline = System.nanoTime() + timeout.toNanos();
		while (true) {
			Map<String, String> health = new HashMap<>();
			JsonNode answer = json.readTree(client
				.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/targets?state=active")).build(),
						HttpResponse.BodyHandlers.ofString())
				.body());
			for (JsonNode target : answer.get("data").get("activeTargets")) {
				String state = target.get("health").asString();
				if (!state.equals("unknown")) {
					health.put(target.get("labels").get("job").asString(), state + " " + target.get("lastError").asString());
				}
			}
			if (health.size() == targets) {
				return health;
			}
			if (System.nanoTime() > deadline) {
				fail("Prometheus scraped only " + health.keySet() + " of " + targets + " targets after " + timeout);
			}
			Thread.sleep(500);
		}
	}

	/**
	 * While a stopped worker holds every scrape for its timeout, more scrapers than the master
	 * runs at once: the excess is refused at once, and health probes, which share the master's
	 * few threads with scrapes, are still answered. Each scraper scrapes again until it is
	 * refused, so that the master's scrapes stay taken while the probes ask.
	 */
	private static void assertScrapesBeyondTheLimitAreRefusedAndProbesAnswered(MasterProcess master) throws Exception {
		int scrapers = 12;
		java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(scrapers);
		java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
		java.util.Queue<MasterProcess.Response> refused = new java.util.concurrent.ConcurrentLinkedQueue<>();
		java.util.Queue<String> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
		try {
			for (int i = 0; i < scrapers; i++) {
				pool.submit(() -> {
					while (!done.get()) {
						try {
							MasterProcess.Response response = MasterProcess.get(master.managementPort, "/actuator/prometheus");
							if (response.status() != 200) {
								refused.add(response);
								return;
							}
							if (!response.body().contains("prefork_worker_up{worker=\"0\"} 1.0")) {
								// as many scrapes at once as the master allows: each worker answers every one
								failures.add("worker 0 missing from a scrape among others at once");
								return;
							}
						}
						catch (IOException ex) {
							failures.add(ex.toString());
							return;
						}
					}
				});
			}
			MasterProcess.await("a scrape refused", Duration.ofSeconds(60), () -> !refused.isEmpty() || !failures.isEmpty());
			for (int i = 0; i < 3; i++) {
				MasterProcess.Response liveness = MasterProcess.get(master.managementPort, "/actuator/health/liveness");
				assertThat(liveness.status()).as(liveness.body()).isEqualTo(200);
			}
		}
		finally {
			done.set(true);
			pool.shutdown();
			assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
		}
		assertThat(failures).isEmpty();
		assertThat(refused).isNotEmpty().allSatisfy((response) -> {
			assertThat(response.status()).isEqualTo(503);
			assertThat(response.body()).contains("scrapes at once");
		});
	}

	/** Every PromQL expression of the dashboard, with its $job and $instance variables set to all. */
	private static List<String> dashboardQueries() throws IOException {
		JsonNode dashboard = json.readTree(Files.readString(ROOT.resolve("dashboards/prefork-grafana.json")));
		List<String> queries = new ArrayList<>();
		for (JsonNode panel : dashboard.get("panels")) {
			for (JsonNode target : panel.get("targets")) {
				queries.add(target.get("expr").asString().replace("$job", ".*").replace("$instance", ".*"));
			}
		}
		return queries;
	}

	/** Polls Prometheus until every query returns at least one series. */
	private static void awaitData(String base, List<String> queries, Duration timeout) throws Exception {
		HttpClient client = HttpClient.newHttpClient();
		Set<String> missing = new LinkedHashSet<>(queries);
		long deadline = System.nanoTime() + timeout.toNanos();
		String lastRefusal = "none";
		while (!missing.isEmpty()) {
			for (String query : List.copyOf(missing)) {
				try {
					HttpResponse<String> response = client.send(HttpRequest
						.newBuilder(URI.create(base + "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)))
						.build(), HttpResponse.BodyHandlers.ofString());
					if (response.statusCode() != 200) {
						// starting: Prometheus answers 503 "Service Unavailable" (text, not JSON) until ready
						lastRefusal = response.statusCode() + " " + response.body().strip();
						continue;
					}
					JsonNode answer = json.readTree(response.body());
					if (answer.get("status").asString().equals("success") && !answer.get("data").get("result").isEmpty()) {
						missing.remove(query);
					}
				}
				catch (IOException ex) {
					// not up yet
				}
			}
			if (!missing.isEmpty() && System.nanoTime() > deadline) {
				fail("No data from Prometheus after " + timeout + " (last refusal: " + lastRefusal + ") for:\n"
						+ String.join("\n", missing));
			}
			Thread.sleep(1000);
		}
	}

	/** Load for the meters; zero downtime is measured by bench/zero-downtime.sh, not here. */
	private static void traffic(MasterProcess master, Duration duration) throws Exception {
		long end = System.nanoTime() + duration.toNanos();
		while (System.nanoTime() < end) {
			try {
				master.get("/whoami");
			}
			catch (IOException ex) {
				System.err.println("traffic: " + ex.getMessage());
			}
		}
	}

	private static String scrape(MasterProcess master) throws IOException {
		MasterProcess.Response response = MasterProcess.get(master.managementPort, "/actuator/prometheus");
		assertThat(response.status()).isEqualTo(200);
		return response.body();
	}

	/** One TYPE line per family, no sample twice. */
	private static void assertWellFormed(String text) {
		Set<String> types = new HashSet<>();
		Set<String> samples = new HashSet<>();
		Pattern sample = Pattern.compile("^([^ {]+(\\{.*\\})?) \\S+( \\d+)?$");
		for (String line : text.split("\n")) {
			if (line.startsWith("# TYPE ")) {
				assertThat(types.add(line.split(" ")[2])).as("family declared twice: " + line).isTrue();
			}
			else if (!line.startsWith("#") && !line.isBlank()) {
				Matcher matcher = sample.matcher(line);
				assertThat(matcher.matches()).as("sample line: " + line).isTrue();
				assertThat(samples.add(matcher.group(1))).as("duplicate series: " + line).isTrue();
			}
		}
	}

	/** promtool must parse it; its lint may only complain about meters that are not prefork's. */
	private void assertPromtoolAccepts(String text) throws Exception {
		run(ROOT.resolve("scripts/install-prometheus.sh").toString());
		Path metrics = this.temp.resolve("metrics.txt");
		Files.writeString(metrics, text);
		MasterProcess.Ran promtool = MasterProcess.run(Duration.ofMinutes(2), metrics, "promtool", "check", "metrics");
		String output = promtool.output();
		assertThat(promtool.code()).as("promtool exit code (0 clean, 3 lint only):\n" + output).isIn(0, 3);
		assertThat(output).doesNotContain("error").doesNotContain("prefork_");
	}

	private static void run(String... command) throws Exception {
		MasterProcess.Ran ran = MasterProcess.run(Duration.ofMinutes(20), null, command);
		assertThat(ran.code()).as(String.join(" ", command) + "\n" + ran.output()).isZero();
	}

}
