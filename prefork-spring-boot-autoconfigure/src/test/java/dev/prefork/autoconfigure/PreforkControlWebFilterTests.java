package dev.prefork.autoconfigure;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The control guard on WebFlux: the same rules as on a servlet stack
 * ({@link PreforkControlFilterTests} has them all), reached through WebFlux's view of a request.
 */
class PreforkControlWebFilterTests {

	private static final AllowedHosts HOSTS = AllowedHosts.of("127.0.0.1", List.of("admin.example"));

	private final PreforkControlWebFilter open = new PreforkControlWebFilter("/actuator/prefork", null, HOSTS);

	private final PreforkControlWebFilter guarded = new PreforkControlWebFilter("/actuator/prefork", "s3cret", HOSTS);

	@Test
	void aForeignHostIsRefusedWithItsReason() {
		Sent sent = send(this.open, MockServerHttpRequest.get("/actuator/health").header("Host", "evil.example:8081"));
		assertThat(sent.status()).isEqualTo(421);
		assertThat(sent.body()).contains("\"result\":\"refused\"").contains("evil.example:8081");
		assertThat(sent.passed()).isNull();
	}

	@Test
	void everySpellingOfTheEndpointNeedsTheToken() {
		for (String path : List.of("/actuator/prefork", "/ACTUATOR/Prefork", "/actuator/prefork;x=1", "/actuator//prefork",
				"/actuator/%70refork", "/actuator/./prefork", "/x/../actuator/prefork", "/actuator/prefork/")) {
			// as sent on the wire: no encoding of its own
			Sent sent = send(this.guarded,
					MockServerHttpRequest.method(HttpMethod.GET, URI.create(path)).header("Host", "localhost:8081"));
			assertThat(sent.status()).as(path).isEqualTo(401);
			assertThat(sent.challenge()).as(path).isEqualTo("Bearer realm=\"prefork\"");
		}
		Sent health = send(this.guarded, MockServerHttpRequest.get("/actuator/health").header("Host", "localhost:8081"));
		assertThat(health.passed()).as("probes need no token").isNotNull();
	}

	@Test
	void aCommandsBodyIsCheckedThenPassedOnAsJson() {
		Sent wrong = send(this.open, MockServerHttpRequest.post("/actuator/prefork/scale")
			.header("Host", "localhost:8081")
			.contentType(MediaType.APPLICATION_JSON)
			.body("{\"workers\":\"4\"}"));
		assertThat(wrong.status()).isEqualTo(400);
		assertThat(wrong.body()).contains("'workers' must be an integer");
		Sent form = send(this.open, MockServerHttpRequest.post("/actuator/prefork/scale")
			.header("Host", "localhost:8081")
			.contentType(MediaType.APPLICATION_FORM_URLENCODED)
			.body("workers=4"));
		assertThat(form.status()).isEqualTo(415);
		Sent query = send(this.open, MockServerHttpRequest.post("/actuator/prefork/scale?workers=2")
			.header("Host", "localhost:8081"));
		assertThat(query.status()).isEqualTo(400);
		Sent huge = send(this.open, MockServerHttpRequest.post("/actuator/prefork/scale")
			.header("Host", "localhost:8081")
			.contentType(MediaType.APPLICATION_JSON)
			.body("{\"workers\":4" + " ".repeat(70_000) + "}"));
		assertThat(huge.status()).isEqualTo(413);
		Sent right = send(this.open, MockServerHttpRequest.post("/actuator/prefork/scale")
			.header("Host", "localhost:8081")
			.header("Content-Type", "application/json; charset=utf-8")
			.body("{\"workers\":4}"));
		assertThat(right.passed()).isNotNull();
		assertThat(right.passed().getRequest().getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_JSON);
		String body = DataBufferUtils.join(right.passed().getRequest().getBody())
			.map((buffer) -> buffer.toString(StandardCharsets.UTF_8))
			.block(Duration.ofSeconds(5));
		assertThat(body).isEqualTo("{\"workers\":4}");
	}

	@Test
	void aPageOfAnotherOriginCannotWrite() {
		Sent sent = send(this.open, MockServerHttpRequest.post("/actuator/prefork/reload")
			.header("Host", "localhost:8081")
			.header("Origin", "http://evil.example"));
		assertThat(sent.status()).isEqualTo(403);
	}

	private static Sent send(PreforkControlWebFilter filter, MockServerHttpRequest.BaseBuilder<?> request) {
		return send(filter, request.build());
	}

	private static Sent send(PreforkControlWebFilter filter, MockServerHttpRequest request) {
		MockServerWebExchange exchange = MockServerWebExchange.from(request);
		AtomicReference<ServerWebExchange> passed = new AtomicReference<>();
		filter.filter(exchange, (next) -> {
			passed.set(next);
			return Mono.empty();
		}).block(Duration.ofSeconds(5));
		String body = (passed.get() != null) ? ""
				: exchange.getResponse().getBodyAsString().defaultIfEmpty("").block(Duration.ofSeconds(5));
		int status = (exchange.getResponse().getStatusCode() != null) ? exchange.getResponse().getStatusCode().value() : 200;
		assertThat(passed.get() == null).as("refused requests stop at the filter").isEqualTo(status >= 400);
		return new Sent(status, body, exchange.getResponse().getHeaders().getFirst(HttpHeaders.WWW_AUTHENTICATE),
				passed.get());
	}

	private record Sent(int status, String body, String challenge, ServerWebExchange passed) {
	}

}
