package dev.prefork.metrics;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.prefork.master.MasterState;
import dev.prefork.master.MasterStatus;
import dev.prefork.master.WorkerState;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusOutputFormat;

import static org.assertj.core.api.Assertions.assertThat;

class PreforkPrometheusScrapeEndpointTests {

	private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

	private final ExecutorService scrapers = Executors.newCachedThreadPool();

	@AfterEach
	void stopScrapers() throws InterruptedException {
		this.scrapers.shutdownNow();
		assertThat(this.scrapers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
	}

	@Test
	void scrapesBeyondTheLimitAreRefusedAtOnceWhileTheOthersWaitForTheWorkers() throws Exception {
		CompletableFuture<byte[]> slowWorker = new CompletableFuture<>();
		AtomicInteger asked = new AtomicInteger();
		PreforkPrometheusScrapeEndpoint endpoint = endpoint(() -> status(1), (pid) -> {
			asked.incrementAndGet();
			return slowWorker;
		});
		List<Future<WebEndpointResponse<byte[]>>> held = new ArrayList<>();
		for (int i = 0; i < 2; i++) {
			held.add(this.scrapers.submit(() -> scrape(endpoint)));
		}
		long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
		while (asked.get() < 2 && System.nanoTime() < deadline) {
			Thread.onSpinWait();
		}
		assertThat(asked).as("scrapes waiting for the worker").hasValue(2);

		WebEndpointResponse<byte[]> refused = scrape(endpoint);
		assertThat(refused.getStatus()).isEqualTo(503);
		assertThat(new String(refused.getBody(), StandardCharsets.UTF_8))
			.startsWith("refused: 2 scrapes at once already wait for the workers");
		assertThat(asked).as("a refused scrape asks no worker").hasValue(2);

		slowWorker.complete("# TYPE worker_thing gauge\nworker_thing 1.0\n".getBytes(StandardCharsets.UTF_8));
		for (Future<WebEndpointResponse<byte[]>> scrape : held) {
			assertThat(scrape.get(10, TimeUnit.SECONDS).getStatus()).isEqualTo(200);
		}
		String after = new String(scrape(endpoint).getBody(), StandardCharsets.UTF_8);
		assertThat(after).contains("worker_thing{worker=\"0\"} 1.0").contains("prefork_scrape_refused_total 1.0");
	}

	@Test
	void concurrentScrapesWhileWorkersComeAndGoAllSucceed() throws Exception {
		// Each scrape re-registers the per-slot meters; the slots change on every status.
		AtomicInteger turn = new AtomicInteger();
		PreforkPrometheusScrapeEndpoint endpoint = endpoint(() -> status(1 + turn.incrementAndGet() % 3),
				(pid) -> CompletableFuture.completedFuture(("# TYPE worker_thing gauge\nworker_thing " + pid + "\n").getBytes(StandardCharsets.UTF_8)));
		List<Future<List<Integer>>> scrapes = new ArrayList<>();
		for (int thread = 0; thread < 2; thread++) {
			scrapes.add(this.scrapers.submit(() -> {
				List<Integer> statuses = new ArrayList<>();
				for (int i = 0; i < 300; i++) {
					statuses.add(scrape(endpoint).getStatus());
				}
				return statuses;
			}));
		}
		for (Future<List<Integer>> scrape : scrapes) {
			assertThat(scrape.get(60, TimeUnit.SECONDS)).containsOnly(200);
		}
	}

	private PreforkPrometheusScrapeEndpoint endpoint(Supplier<MasterStatus> status,
			Function<Long, CompletableFuture<byte[]>> scrape) {
		MasterMetrics metrics = new MasterMetrics(status, () -> -1, () -> 0, "test");
		metrics.bindTo(this.registry);
		WorkerScrapes workers = new WorkerScrapes(status, scrape, metrics, Duration.ofSeconds(30));
		return new PreforkPrometheusScrapeEndpoint(this.registry.getPrometheusRegistry(), new Properties(), workers, 2);
	}

	private static WebEndpointResponse<byte[]> scrape(PreforkPrometheusScrapeEndpoint endpoint) {
		return endpoint.scrape(PrometheusOutputFormat.CONTENT_TYPE_004, null);
	}

	/** A running master with ready workers in slots 0 to {@code workers - 1}. */
	private static MasterStatus status(int workers) {
		List<MasterStatus.WorkerStatus> ready = new ArrayList<>();
		for (int slot = 0; slot < workers; slot++) {
			ready.add(new MasterStatus.WorkerStatus(slot, 1000 + slot, WorkerState.READY, 1, 1.0, 0.5, 0, 0, null, null,
					null, null));
		}
		return new MasterStatus(1, MasterState.RUNNING, 1, workers, 1, ready, null, null, null, 0, null);
	}

}
