package dev.prefork.endpoints;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.prefork.master.MasterState;
import dev.prefork.master.MasterStatus;
import dev.prefork.master.WorkerState;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which paths are the application's, which workers a call goes to, and how their answers
 * become the master's.
 */
class WorkerEndpointsTests {

	/** pid → the worker's generation; slot = the order of insertion within a generation. */
	private final List<MasterStatus.WorkerStatus> workers = new ArrayList<>();

	/** pid → its encoded answer, or none to never answer. */
	private final Map<Long, EndpointReply> answers = new LinkedHashMap<>();

	private final List<Long> asked = new ArrayList<>();

	private final List<String> calls = new ArrayList<>();

	private WorkerEndpoints endpoints() {
		return new WorkerEndpoints(this::status, (pid, call) -> {
			this.asked.add(pid);
			this.calls.add(call);
			EndpointReply reply = this.answers.get(pid);
			return (reply != null) ? CompletableFuture.completedFuture(reply.encode()) : new CompletableFuture<>();
		}, "/actuator", () -> Set.of("health", "prefork", "prometheus"), Duration.ofMillis(200));
	}

	private void worker(int slot, long pid, int generation, WorkerState state) {
		this.workers.add(new MasterStatus.WorkerStatus(slot, pid, state, generation, 1.0, 0.5, 0, 0, null, null, null,
				null));
	}

	private MasterStatus status() {
		return new MasterStatus(1, MasterState.RUNNING, 1, this.workers.size(), 1, this.workers, null, null, null, 0,
				null);
	}

	private static EndpointReply reply(int status, String body) {
		return new EndpointReply(status, "application/json", body.getBytes(StandardCharsets.UTF_8));
	}

	private static String body(WorkerEndpoints.Forwarded forwarded) {
		return new String(forwarded.reply().body(), StandardCharsets.UTF_8);
	}

	@Test
	void everyPathBelowTheBasePathButTheMastersOwnIsTheApplications() {
		WorkerEndpoints endpoints = endpoints();
		assertThat(endpoints.applicationPath("/actuator/loggers/com.example")).isEqualTo("loggers/com.example");
		assertThat(endpoints.applicationPath("/actuator//info")).isEqualTo("info");
		assertThat(endpoints.applicationPath("/actuator/health")).isNull();
		assertThat(endpoints.applicationPath("/actuator/health/db")).isNull();
		assertThat(endpoints.applicationPath("/actuator/prefork/reload")).isNull();
		assertThat(endpoints.applicationPath("/actuator/prometheus")).isNull();
		assertThat(endpoints.applicationPath("/actuator")).as("the links").isNull();
		assertThat(endpoints.applicationPath("/actuator/")).isNull();
		assertThat(endpoints.applicationPath("/actuatorx/info")).isNull();
		assertThat(endpoints.applicationPath("/error")).isNull();
	}

	@Test
	void aBasePathOfRootMakesEveryPathButTheMastersTheApplications() {
		WorkerEndpoints endpoints = new WorkerEndpoints(this::status, (pid, call) -> new CompletableFuture<>(), "",
				() -> Set.of("health"));
		assertThat(endpoints.applicationPath("/info")).isEqualTo("info");
		assertThat(endpoints.applicationPath("/health")).isNull();
		assertThat(endpoints.applicationPath("/")).isNull();
	}

	@Test
	void aReadGoesToTheLowestReadySlotOfTheNewestGeneration() {
		worker(0, 100, 1, WorkerState.READY);
		worker(1, 101, 1, WorkerState.READY);
		worker(0, 200, 2, WorkerState.BOOTING);
		worker(1, 201, 2, WorkerState.READY);
		this.answers.put(201L, reply(200, "{\"app\":1}"));
		WorkerEndpoints.Forwarded forwarded = endpoints().call(new EndpointCall("GET", "info", "", "", null), null);
		assertThat(this.asked).containsExactly(201L);
		assertThat(forwarded.reply().status()).isEqualTo(200);
		assertThat(body(forwarded)).isEqualTo("{\"app\":1}");
		assertThat(forwarded.slotsHeader()).isEqualTo("1");
		assertThat(EndpointCall.decode(this.calls.get(0)).path()).isEqualTo("info");
	}

	@Test
	void aWriteGoesToEveryReadyWorkerAndAgreeingAnswersAreOne() {
		worker(0, 100, 1, WorkerState.READY);
		worker(1, 101, 1, WorkerState.READY);
		worker(2, 102, 1, WorkerState.DRAINING);
		this.answers.put(100L, new EndpointReply(204, "", null));
		this.answers.put(101L, new EndpointReply(204, "", null));
		WorkerEndpoints.Forwarded forwarded = endpoints()
			.call(new EndpointCall("POST", "loggers/x", "", "", "{\"configuredLevel\":\"DEBUG\"}".getBytes()), null);
		assertThat(this.asked).containsExactly(100L, 101L);
		assertThat(forwarded.reply().status()).isEqualTo(204);
		assertThat(forwarded.slotsHeader()).isEqualTo("0,1");
	}

	@Test
	void workersThatDisagreeAreA502WithEachOnesStatus() {
		worker(0, 100, 1, WorkerState.READY);
		worker(1, 101, 1, WorkerState.READY);
		this.answers.put(100L, new EndpointReply(204, "", null));
		this.answers.put(101L, reply(500, "{\"message\":\"boom\"}"));
		WorkerEndpoints.Forwarded forwarded = endpoints().call(new EndpointCall("DELETE", "x", "", "", null), null);
		assertThat(forwarded.reply().status()).isEqualTo(502);
		assertThat(body(forwarded)).contains("0: 204, 1: 500").contains("boom");
	}

	@Test
	void aWorkerThatDoesNotAnswerInTimeIs504AndOneThatAnswersMalformed502() {
		worker(0, 100, 1, WorkerState.READY);
		assertThat(endpoints().call(new EndpointCall("GET", "info", "", "", null), null).reply().status())
			.isEqualTo(504);
		WorkerEndpoints malformed = new WorkerEndpoints(this::status,
				(pid, call) -> CompletableFuture.completedFuture("nonsense".getBytes()), "/actuator", Set::of);
		EndpointReply reply = malformed.call(new EndpointCall("GET", "info", "", "", null), null).reply();
		assertThat(reply.status()).isEqualTo(502);
		assertThat(new String(reply.body())).contains("answered malformed");
	}

	@Test
	void theWorkerHeaderPicksOneWorkerForAReadOrAWrite() {
		worker(0, 100, 1, WorkerState.READY);
		worker(1, 101, 1, WorkerState.READY);
		this.answers.put(101L, new EndpointReply(204, "", null));
		WorkerEndpoints endpoints = endpoints();
		assertThat(endpoints.call(new EndpointCall("POST", "loggers/x", "", "", null), " 1").slotsHeader())
			.isEqualTo("1");
		assertThat(this.asked).containsExactly(101L);
		EndpointReply missing = endpoints.call(new EndpointCall("GET", "info", "", "", null), "7").reply();
		assertThat(missing.status()).isEqualTo(404);
		assertThat(new String(missing.body())).contains("no ready worker in slot 7; ready: 0, 1");
		assertThat(endpoints.call(new EndpointCall("GET", "info", "", "", null), "one").reply().status())
			.isEqualTo(400);
	}

	@Test
	void onlyActuatorsMethodsArePassedOnAndOnlyAFewCallsAtOnce() throws Exception {
		worker(0, 100, 1, WorkerState.READY);
		WorkerEndpoints endpoints = endpoints();
		for (String method : List.of("OPTIONS", "TRACE", "PUT", "PATCH")) {
			assertThat(endpoints.call(new EndpointCall(method, "info", "", "", null), null).reply().status())
				.as(method).isEqualTo(405);
		}
		assertThat(this.asked).isEmpty();
		// Two calls wait for a worker that does not answer; a third is refused at once.
		CountDownLatch inside = new CountDownLatch(WorkerEndpoints.MAX_CONCURRENT_CALLS);
		WorkerEndpoints slow = new WorkerEndpoints(this::status, (pid, call) -> {
			inside.countDown();
			return new CompletableFuture<>();
		}, "/actuator", Set::of, Duration.ofSeconds(30));
		List<Thread> waiting = new ArrayList<>();
		for (int i = 0; i < WorkerEndpoints.MAX_CONCURRENT_CALLS; i++) {
			Thread thread = new Thread(() -> slow.call(new EndpointCall("GET", "info", "", "", null), null));
			thread.start();
			waiting.add(thread);
		}
		assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();
		EndpointReply third = slow.call(new EndpointCall("GET", "info", "", "", null), null).reply();
		assertThat(third.status()).isEqualTo(503);
		assertThat(new String(third.body())).contains("already passing 2 calls");
		for (Thread thread : waiting) {
			thread.interrupt();
			thread.join();
		}
	}

	@Test
	void anAnswerIsNeverAPageOfTheMastersOrigin() {
		WorkerEndpoints.Forwarded html = new WorkerEndpoints.Forwarded(new EndpointReply(200, "text/html", "<script>".getBytes()), List.of(0));
		assertThat(html.headers()).containsEntry("Content-Security-Policy", "sandbox")
			.containsEntry("X-Content-Type-Options", "nosniff")
			.containsEntry("Prefork-Worker", "0");
		assertThat(new WorkerEndpoints.Forwarded(new EndpointReply(200, "text/plain\r\nSet-Cookie: x", null), List.of())
			.headers()).containsEntry("Content-Type", "application/octet-stream");
		WorkerEndpoints.Forwarded noContent = new WorkerEndpoints.Forwarded(
				new EndpointReply(204, "application/json", "{}".getBytes()), List.of(0, 1));
		assertThat(noContent.hasBody()).isFalse();
		assertThat(noContent.headers()).doesNotContainKey("Content-Type");
	}

	@Test
	void noReadyWorkerIs503() {
		worker(0, 100, 1, WorkerState.BOOTING);
		EndpointReply reply = endpoints().call(new EndpointCall("GET", "info", "", "", null), null).reply();
		assertThat(reply.status()).isEqualTo(503);
		assertThat(this.asked).isEmpty();
	}

	@Test
	void callsAndRepliesSurviveTheChannel() {
		EndpointCall call = new EndpointCall("POST", "loggers/a b/ü", "x=1&y=%20", "application/json, */*",
				"{\"configuredLevel\":\"DEBUG\"}".getBytes(StandardCharsets.UTF_8));
		String line = call.encode();
		assertThat(line).doesNotContain("\n").doesNotContain("\r");
		EndpointCall decoded = EndpointCall.decode(line);
		assertThat(decoded.method()).isEqualTo("POST");
		assertThat(decoded.path()).isEqualTo("loggers/a b/ü");
		assertThat(decoded.query()).isEqualTo("x=1&y=%20");
		assertThat(decoded.accept()).isEqualTo("application/json, */*");
		assertThat(new String(decoded.body(), StandardCharsets.UTF_8)).isEqualTo("{\"configuredLevel\":\"DEBUG\"}");

		EndpointReply reply = EndpointReply.decode(new EndpointReply(200, "text/plain;charset=UTF-8",
				"a\nb".getBytes(StandardCharsets.UTF_8)).encode());
		assertThat(reply.status()).isEqualTo(200);
		assertThat(reply.contentType()).isEqualTo("text/plain;charset=UTF-8");
		assertThat(new String(reply.body(), StandardCharsets.UTF_8)).isEqualTo("a\nb");
		assertThat(EndpointReply.decode(new EndpointReply(204, "", null).encode()).contentType()).isEmpty();
		assertThat(new String(EndpointReply.message(400, "a \"quoted\"\tvalue\\").body(), StandardCharsets.UTF_8))
			.isEqualTo("{\"message\":\"a \\\"quoted\\\"\\u0009value\\\\\"}");
	}

	@Test
	void aMalformedReplyIsRefused() {
		for (String malformed : List.of("", "200", "abc application/json\n{}", "200 \n", "99 text/plain\nx",
				"600 text/plain\nx")) {
			org.assertj.core.api.Assertions
				.assertThatIllegalArgumentException()
				.as(malformed)
				.isThrownBy(() -> EndpointReply.decode(malformed.getBytes(StandardCharsets.UTF_8)));
		}
	}

}
