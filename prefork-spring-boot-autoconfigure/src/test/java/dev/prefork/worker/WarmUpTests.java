package dev.prefork.worker;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class WarmUpTests {

	/**
	 * Each method a warm-up request may have reaches a real HTTP server with its headers, its
	 * body and the connector's key: PATCH too, which the blocking client cannot send.
	 */
	@Test
	void everyMethodIsSentWithItsHeadersAndBody() throws Exception {
		List<String> received = new CopyOnWriteArrayList<>();
		HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		server.createContext("/", (exchange) -> {
			String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
			received.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " "
					+ exchange.getRequestHeaders().getFirst("X-Test") + " " + exchange.getRequestHeaders().getFirst("X-Key")
					+ " " + body);
			exchange.sendResponseHeaders(204, -1);
			exchange.close();
		});
		server.start();
		try {
			List<WarmupSettings.Request> requests = new ArrayList<>();
			for (String method : WarmupSettings.METHODS) {
				WarmupSettings.Request request = new WarmupSettings.Request(method, "/" + method.toLowerCase());
				request.setHeaders(Map.of("X-Test", "h-" + method));
				if (List.of("POST", "PUT", "PATCH").contains(method)) {
					request.setBody("b-" + method);
				}
				requests.add(request);
			}
			WarmupSettings settings = new WarmupSettings();
			settings.setMaxRequests(WarmupSettings.METHODS.size());
			settings.setConcurrency(1);
			WarmUp.Result result = new WarmUp("http://127.0.0.1:" + server.getAddress().getPort(), requests,
					Map.of("X-Key", "k"), settings, Duration.ofSeconds(30), () -> 0, () -> -1).run();
			assertThat(result.answered()).as(result.toString()).isEqualTo(WarmupSettings.METHODS.size());
			assertThat(received).containsExactlyInAnyOrder("GET /get h-GET k ", "HEAD /head h-HEAD k ",
					"POST /post h-POST k b-POST", "PUT /put h-PUT k b-PUT", "PATCH /patch h-PATCH k b-PATCH",
					"DELETE /delete h-DELETE k ", "OPTIONS /options h-OPTIONS k ");
		}
		finally {
			server.stop(0);
		}
	}

	/** prefork.warmup.concurrency requests at once, never more, against a server that could take more. */
	@Test
	void concurrencyIsTheNumberOfRequestsInFlight() throws Exception {
		java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
		java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
		HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(8);
		server.setExecutor(threads);
		server.createContext("/", (exchange) -> {
			most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
			try {
				Thread.sleep(30);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			inFlight.decrementAndGet();
			exchange.sendResponseHeaders(204, -1);
			exchange.close();
		});
		server.start();
		try {
			WarmupSettings settings = new WarmupSettings();
			settings.setMaxRequests(30);
			settings.setConcurrency(3);
			WarmUp.Result result = new WarmUp("http://127.0.0.1:" + server.getAddress().getPort(),
					List.of(new WarmupSettings.Request("GET", "/")), Map.of(), settings, Duration.ofSeconds(30), () -> 0, () -> -1)
				.run();
			assertThat(result.answered()).as(result.toString()).isEqualTo(30);
			assertThat(most.get()).as("requests in flight at most").isEqualTo(3);
		}
		finally {
			server.stop(0);
			threads.shutdownNow();
		}
	}

	@Test
	void theCostIsSteadyOnceItStopsFallingForEightSlices() {
		WarmUp.SteadyCost steady = new WarmUp.SteadyCost();
		long[] nanosPerRequest = { 900, 600, 400, 300, 250, 200 };
		for (long cost : nanosPerRequest) {
			assertThat(steady.add(100, cost * 100)).isFalse();
		}
		for (int i = 0; i < WarmUp.SteadyCost.FLAT_SLICES - 1; i++) {
			assertThat(steady.add(100, 195 * 100)).as("flat slice " + i).isFalse();
		}
		assertThat(steady.add(100, 205 * 100)).isTrue();
	}

	@Test
	void aCheaperSliceOrATooSmallOneStartsTheCountAgain() {
		WarmUp.SteadyCost steady = new WarmUp.SteadyCost();
		for (int i = 0; i < 7; i++) {
			steady.add(100, 10_000);
		}
		assertThat(steady.add(100, 5_000)).as("twice as cheap: still warming").isFalse();
		for (int i = 0; i < 7; i++) {
			assertThat(steady.add(100, 5_000)).isFalse();
		}
		assertThat(steady.add(3, 15)).as("three requests say nothing").isFalse();
		for (int i = 0; i < 7; i++) {
			assertThat(steady.add(100, 5_000)).isFalse();
		}
		assertThat(steady.add(100, 5_000)).isTrue();
	}

	@Test
	void theCompilerIsQuietAfterFourSlicesInARowBelowTheThreshold() {
		WarmUp.QuietCompiler compiler = new WarmUp.QuietCompiler();
		for (long millis : new long[] { 900, 500, 21, 12, 0 }) {
			assertThat(compiler.add(millis)).as(millis + " ms").isFalse();
		}
		assertThat(compiler.add(WarmUp.QuietCompiler.QUIET_MILLIS)).as("a burst at the threshold starts the count again")
			.isFalse();
		for (int i = 0; i < WarmUp.QuietCompiler.QUIET_SLICES - 1; i++) {
			assertThat(compiler.add(WarmUp.QuietCompiler.QUIET_MILLIS - 1)).as("quiet slice " + i).isFalse();
		}
		assertThat(compiler.add(3)).isTrue();
		assertThat(new WarmUp.QuietCompiler().add(-1)).as("a JVM that does not tell").isTrue();
	}

	/**
	 * A warm-up whose cost per request is steady goes on while the JIT compilers are busy,
	 * and ends once they have been quiet: on the compilers' signal, not on the slice count.
	 */
	@Test
	void theWarmUpEndsOnlyOnceTheCompilerIsQuiet() throws Exception {
		java.util.concurrent.atomic.AtomicLong served = new java.util.concurrent.atomic.AtomicLong();
		HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		server.createContext("/", (exchange) -> {
			served.incrementAndGet();
			exchange.sendResponseHeaders(204, -1);
			exchange.close();
		});
		server.start();
		java.util.concurrent.atomic.AtomicLong compiled = new java.util.concurrent.atomic.AtomicLong();
		java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
		// One read before the first slice, then one a slice: the compilers are busy for 12 slices,
		// while the cost per request (1 µs) is steady from the 9th slice on.
		java.util.function.LongSupplier compiler = () -> (reads.incrementAndGet() <= 13) ? compiled.addAndGet(400)
				: compiled.get();
		try {
			WarmupSettings settings = new WarmupSettings();
			settings.setConcurrency(1);
			settings.setMaxRequests(Integer.MAX_VALUE);
			WarmUp.Result result = new WarmUp("http://127.0.0.1:" + server.getAddress().getPort(),
					List.of(new WarmupSettings.Request("GET", "/")), Map.of(), settings, Duration.ofSeconds(30),
					() -> served.get() * 1_000, compiler)
				.run();
			assertThat(result.endedBecause()).as(result.toString()).contains("JIT compiler is quiet");
			assertThat(reads.get()).as("slices read").isEqualTo(13 + WarmUp.QuietCompiler.QUIET_SLICES);
		}
		finally {
			server.stop(0);
		}
	}

	@Test
	void requestsAreTheConfiguredOnesThenTheRecordedPathsAndGetSlashWithoutAny() {
		WarmupSettings settings = new WarmupSettings();
		assertThat(WarmUp.requests(settings, null)).extracting(Object::toString).containsExactly("GET /");
		settings.getRequests().add(new WarmupSettings.Request("POST", "/orders"));
		settings.getRequests().add(new WarmupSettings.Request("GET", "/"));
		assertThat(WarmUp.requests(settings, "/\n/products/7\nnot-a-path\n/with space\n/products/8"))
			.extracting(Object::toString)
			.containsExactly("POST /orders", "GET /", "GET /products/7", "GET /products/8");
		settings.setRecord(false);
		assertThat(WarmUp.requests(settings, "/products/7")).extracting(Object::toString)
			.containsExactly("POST /orders", "GET /");
	}

	@Test
	void onlyFailuresIsNotOneAnswerBelow500() {
		assertThat(result(0, 0, 40, 0).onlyFailures()).isTrue();
		assertThat(result(0, 0, 30, 10).onlyFailures()).isTrue();
		assertThat(result(0, 1, 40, 0).onlyFailures()).as("a 404 is an application that answers").isFalse();
		assertThat(result(1, 0, 40, 0).onlyFailures()).isFalse();
		assertThat(result(0, 0, 0, 0).onlyFailures()).isFalse();
	}

	@Test
	void settingsAreChecked() {
		WarmupSettings settings = new WarmupSettings();
		assertThat(settings.problem()).isNull();
		settings.setDuration(Duration.ZERO);
		assertThat(String.valueOf(settings.problem())).contains("prefork.warmup.duration must be positive");
		settings.setDuration(Duration.ofSeconds(30));
		settings.setConcurrency(0);
		assertThat(String.valueOf(settings.problem())).contains("concurrency");
		settings.setConcurrency(2);
		settings.setRequests(List.of(new WarmupSettings.Request("TRACE", "/x")));
		assertThat(String.valueOf(settings.problem())).contains("requests[0]").contains("method");
		settings.setRequests(List.of(new WarmupSettings.Request("GET", "x")));
		assertThat(String.valueOf(settings.problem())).contains("must start with /");
		settings.setRequests(List.of());
		assertThat(settings.limit(true)).isEqualTo(Duration.ofSeconds(5));
		assertThat(settings.limit(false)).isEqualTo(Duration.ofSeconds(30));
	}

	@Test
	void servedPathsKeepPathsOnlyBoundedAndStartAgainAfterEachReport() {
		ServedPaths paths = new ServedPaths();
		for (int i = 0; i < 3; i++) {
			paths.record("/a");
		}
		paths.record("/b");
		paths.record("/with space");
		for (int i = 0; i < ServedPaths.MAX_PATHS + 10; i++) {
			paths.record("/p" + i);
		}
		List<java.util.Map.Entry<String, Long>> top = paths.drain();
		assertThat(top).hasSize(ServedPaths.REPORTED);
		assertThat(top.get(0)).isEqualTo(java.util.Map.entry("/a", 3L));
		assertThat(paths.drain()).isEmpty();
	}

	private static WarmUp.Result result(long answered, long clientErrors, long serverErrors, long failed) {
		return new WarmUp.Result(answered + clientErrors + serverErrors + failed, answered, clientErrors, serverErrors,
				failed, Duration.ofSeconds(1), "test", null);
	}

}
