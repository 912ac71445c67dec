package dev.prefork.endpoints;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.endpoint.web.WebEndpointHttpMethod;
import org.springframework.boot.actuate.endpoint.web.WebOperationRequestPredicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How a worker matches a path to an operation and reads its arguments, as Spring Boot's web
 * adapters do.
 */
class ApplicationEndpointsTests {

	private static WebOperationRequestPredicate predicate(String path) {
		return new WebOperationRequestPredicate(path, WebEndpointHttpMethod.GET, List.of(), List.of());
	}

	@Test
	void literalSegmentsVariablesAndTheRest() {
		assertThat(ApplicationEndpoints.Invoker.match(predicate("loggers"), List.of("loggers"))).isEmpty();
		assertThat(ApplicationEndpoints.Invoker.match(predicate("loggers"), List.of("loggers", "x"))).isNull();
		assertThat(ApplicationEndpoints.Invoker.match(predicate("loggers/{name}"), List.of("loggers"))).isNull();
		assertThat(ApplicationEndpoints.Invoker.match(predicate("loggers/{name}"), List.of("loggers", "com.example")))
			.isEqualTo(Map.of("name", "com.example"));
		assertThat(ApplicationEndpoints.Invoker.match(predicate("info"), List.of("loggers"))).isNull();
		Map<String, Object> rest = ApplicationEndpoints.Invoker.match(predicate("files/{*path}"),
				List.of("files", "a", "b"));
		assertThat((String[]) rest.get("path")).containsExactly("a", "b");
		assertThat(ApplicationEndpoints.Invoker.match(predicate("files/{*path}"), List.of("files"))).isNull();
	}

	@Test
	void queryParametersAreDecodedAndRepeatedOnesKept() {
		assertThat(ApplicationEndpoints.Invoker.queryParameters("tag=a%3Db&tag=c&name=x+y&flag&"))
			.isEqualTo(Map.of("tag", List.of("a=b", "c"), "name", List.of("x y"), "flag", List.of("")));
		assertThat(ApplicationEndpoints.Invoker.queryParameters("")).isEmpty();
	}

	@Test
	void noContextYetIs503() {
		EndpointReply reply = EndpointReply.decode(ApplicationEndpoints.answer(null,
				new EndpointCall("GET", "info", "", "", null).encode()));
		assertThat(reply.status()).isEqualTo(503);
		assertThat(EndpointReply.decode(ApplicationEndpoints.answer(null, "not a call")).status()).isEqualTo(400);
	}

}
