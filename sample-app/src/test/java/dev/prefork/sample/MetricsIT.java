package dev.prefork.sample;

import java.io.IOException;
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
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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
 * Grafana dashboard.
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

	private static final JsonMapper json = JsonMapper.builder().build();

	@TempDir
	Path temp;

	@Test
	void scrapeHasEveryWorkersMetersBySlotAsValidPrometheusText() throws Exception {
		try (MasterProcess master = MasterProcess.start("--prefork.workers=2")) {
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
		try (MasterProcess master = MasterProcess.start("--prefork.workers=2", "--sample.clashing-meters=true")) {
			master.awaitReady(2);
			scrape(master); // counts the dropped lines the next scrape shows
			String text = scrape(master);
			assertThat(text).contains("sample_jobs_total{worker=\"0\",exported_worker=\"mailer\"",
					"sample_jobs_total{worker=\"1\",exported_worker=\"mailer\"", "prefork_scrape_dropped_lines_total{worker=")
				.doesNotContain("prefork_workers{worker=");
			assertThat(text.lines().filter((line) -> line.startsWith("# TYPE sample_shape "))).hasSize(1);
			assertWellFormed(text);
			assertPromtoolAccepts(text);
			int port = MasterProcess.freePort();
			Path config = this.temp.resolve("prometheus.yml");
			Files.writeString(config, """
					global:
					  scrape_interval: 1s
					  scrape_timeout: 1s
					scrape_configs:
					  - job_name: prefork
					    metrics_path: /actuator/prometheus
					    static_configs:
					      - targets: ['127.0.0.1:%d']
					""".formatted(master.managementPort));
			Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + config,
					"--storage.tsdb.path=" + this.temp.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
				.redirectErrorStream(true)
				.redirectOutput(this.temp.resolve("prometheus.log").toFile())
				.start();
			try {
				String base = "http://127.0.0.1:" + port;
				awaitData(base, List.of("up{job=\"prefork\"} == 1",
						"sample_jobs_total{worker=\"1\",exported_worker=\"mailer\"}"), Duration.ofSeconds(60));
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

	/** Every PromQL expression of the dashboard, with its $job variable set to all jobs. */
	private static List<String> dashboardQueries() throws IOException {
		JsonNode dashboard = json.readTree(Files.readString(ROOT.resolve("dashboards/prefork-grafana.json")));
		List<String> queries = new ArrayList<>();
		for (JsonNode panel : dashboard.get("panels")) {
			for (JsonNode target : panel.get("targets")) {
				queries.add(target.get("expr").asString().replace("$job", ".*"));
			}
		}
		return queries;
	}

	/** Polls Prometheus until every query returns at least one series. */
	private static void awaitData(String base, List<String> queries, Duration timeout) throws Exception {
		HttpClient client = HttpClient.newHttpClient();
		Set<String> missing = new LinkedHashSet<>(queries);
		long deadline = System.nanoTime() + timeout.toNanos();
		while (!missing.isEmpty()) {
			for (String query : List.copyOf(missing)) {
				try {
					HttpResponse<String> response = client.send(HttpRequest
						.newBuilder(URI.create(base + "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)))
						.build(), HttpResponse.BodyHandlers.ofString());
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
				fail("No data from Prometheus after " + timeout + " for:\n" + String.join("\n", missing));
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
