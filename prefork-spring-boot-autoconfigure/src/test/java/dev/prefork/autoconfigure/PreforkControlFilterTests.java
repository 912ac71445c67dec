package dev.prefork.autoconfigure;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import dev.prefork.master.ControlCommand;
import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class PreforkControlFilterTests {

	private static final AllowedHosts HOSTS = AllowedHosts.of("127.0.0.1", List.of("admin.example", ".corp.example"));

	private final PreforkControlFilter open = new PreforkControlFilter("/actuator/prefork", null, HOSTS);

	private final PreforkControlFilter guarded = new PreforkControlFilter("/actuator/prefork", "s3cret",
			AllowedHosts.of("", List.of()));

	@Test
	void aPageWhoseNameWasReboundToTheMasterIsRefused() throws Exception {
		for (String command : List.of("reload", "scale", "stop")) {
			MockHttpServletResponse response = send(this.open, "POST", "/actuator/prefork/" + command,
					Map.of("Host", "evil.example:8081", "Origin", "http://evil.example:8081", "Sec-Fetch-Site", "same-origin"));
			assertThat(response.getStatus()).isEqualTo(421);
			assertThat(response.getContentAsString()).contains("\"result\":\"refused\"")
				.contains("Host evil.example:8081 is not a name of this master's management server: it answers to IP "
						+ "addresses, localhost, admin.example, .corp.example.")
				.contains("add it to prefork.control.allowed-hosts");
		}
		assertThat(send(this.open, "GET", "/actuator/health", Map.of("Host", "evil.example:8081")).getStatus())
			.as("what a page could read").isEqualTo(421);
	}

	@Test
	void answersAddressesLocalhostTheManagementAddressAndTheAllowedHosts() throws Exception {
		PreforkControlFilter named = new PreforkControlFilter("/actuator/prefork", null,
				AllowedHosts.of("mgmt.internal", List.of()));
		for (String host : List.of("localhost:8081", "LocalHost", "localhost.:8081", "127.0.0.1:8081", "[::1]:8081",
				"[0:0:0:0:0:0:0:1]", "10.1.2.3:8081", "admin.example:8081", "ADMIN.example", "corp.example",
				"a.b.corp.example:443")) {
			assertThat(passes(this.open, "POST", "/actuator/prefork/reload", Map.of("Host", host))).as(host).isTrue();
		}
		assertThat(passes(named, "GET", "/actuator/health", Map.of("Host", "mgmt.internal:8081"))).isTrue();
		assertThat(passes(this.open, "GET", "/actuator/health", Map.of())).as("HTTP/1.0 without Host").isTrue();
		for (String host : List.of("evil.example", "localhost.evil.example", "127.0.0.1.evil.example", "admin.example.evil",
				"evilcorp.example", "[evil.example]", "mgmt.internal", "0x7f.1", ":8081")) {
			assertThat(send(this.open, "GET", "/actuator/health", Map.of("Host", host)).getStatus()).as(host).isEqualTo(421);
		}
	}

	@Test
	void withTheTokenAnyHostPassesWithoutItTheHostIsChecked() throws Exception {
		Map<String, String> rebound = Map.of("Host", "evil.example:8081", "Origin", "http://evil.example:8081");
		assertThat(send(this.guarded, "GET", "/actuator/health", rebound).getStatus()).isEqualTo(421);
		assertThat(send(this.guarded, "POST", "/actuator/prefork/reload", rebound).getStatus()).isEqualTo(421);
		assertThat(passes(this.guarded, "GET", "/actuator/prefork",
				Map.of("Host", "evil.example:8081", "Authorization", "Bearer s3cret"))).isTrue();
		assertThat(passes(this.guarded, "GET", "/actuator/prometheus", Map.of("Host", "10.0.0.5:8081"))).isTrue();
		assertThat(send(this.guarded, "GET", "/actuator/prefork", Map.of("Host", "10.0.0.5:8081")).getStatus())
			.isEqualTo(401);
	}

	@Test
	void anOriginMustBeTheRequestsOwnHostAndPortOfANameTheMasterAnswersTo() throws Exception {
		assertThat(passes(this.open, "POST", "/actuator/prefork/reload",
				Map.of("Host", "localhost:8081", "Origin", "http://localhost:8081"))).isTrue();
		assertThat(passes(this.open, "POST", "/actuator/prefork/reload",
				Map.of("Host", "[::1]:8081", "Origin", "http://[::1]:8081"))).isTrue();
		// a TLS proxy in front of a plain master
		assertThat(passes(this.open, "POST", "/actuator/prefork/reload",
				Map.of("Host", "admin.example", "Origin", "https://admin.example"))).isTrue();
		// Host, then Origin
		for (List<String> foreign : List.of(List.of("localhost:8081", "http://localhost:3000"),
				List.of("127.0.0.1:8081", "http://10.0.0.7:8081"), List.of("localhost:8081", "null"),
				List.of("admin.example:8081", "http://admin.example:8081.evil.example"),
				List.of("10.0.0.5:8081", "file://10.0.0.5:8081"))) {
			MockHttpServletResponse response = send(this.open, "POST", "/actuator/prefork/reload",
					Map.of("Host", foreign.get(0), "Origin", foreign.get(1)));
			assertThat(response.getStatus()).as(foreign.toString()).isEqualTo(403);
			assertThat(response.getContentAsString()).contains("a browser page of another origin (" + foreign.get(1));
		}
	}

	@Test
	void withATokenReadingTheApplicationsEndpointsNeedsItTooProbesAndScrapesDoNot() throws Exception {
		PreforkControlFilter filter = new PreforkControlFilter("/actuator/prefork", "s3cret", AllowedHosts.of("", List.of()),
				(path) -> path.startsWith("/actuator/env") || path.startsWith("/actuator/info"));
		assertThat(send(filter, "GET", "/actuator/env", Map.of()).getStatus()).isEqualTo(401);
		assertThat(send(filter, "GET", "/actuator/info", Map.of("Authorization", "Bearer nope")).getStatus())
			.isEqualTo(401);
		assertThat(passes(filter, "GET", "/actuator/env", Map.of("Authorization", "Bearer s3cret"))).isTrue();
		assertThat(passes(filter, "GET", "/actuator/health", Map.of("Host", "localhost:8081"))).isTrue();
		assertThat(passes(filter, "GET", "/actuator/prometheus", Map.of("Host", "localhost:8081"))).isTrue();
		PreforkControlFilter withoutToken = new PreforkControlFilter("/actuator/prefork", null, HOSTS,
				(path) -> path.startsWith("/actuator/env"));
		assertThat(passes(withoutToken, "GET", "/actuator/env", Map.of("Host", "localhost:8081")))
			.as("no token, no token needed: as in a plain application").isTrue();
		assertThat(send(withoutToken, "GET", "/actuator/env", Map.of("Host", "127.0.0.1:8081", "Sec-Fetch-Site",
				"cross-site")).getStatus()).as("an <img> of another site's page").isEqualTo(403);
		assertThat(passes(withoutToken, "GET", "/actuator/health", Map.of("Host", "127.0.0.1:8081", "Sec-Fetch-Site",
				"cross-site"))).as("the master's own health, as before").isTrue();
	}

	@Test
	void aCommandTakesNoQueryString() throws Exception {
		MockHttpServletRequest scale = request("POST", "/actuator/prefork/scale", Map.of("Host", "localhost:8081"));
		scale.setQueryString("workers=2");
		scale.setContentType("application/json");
		scale.setContent("{}".getBytes(StandardCharsets.UTF_8));
		MockHttpServletResponse response = send(this.open, scale);
		assertThat(response.getStatus()).isEqualTo(400);
		assertThat(response.getContentAsString()).contains("a command takes no query string (?workers=2): send its fields "
				+ "as a JSON body, such as {\\\"workers\\\":4} or {\\\"delta\\\":-1}");
		MockHttpServletRequest reopen = request("POST", "/actuator/prefork/reopen-logs", Map.of("Host", "localhost:8081"));
		reopen.setQueryString("foo=bar");
		assertThat(send(this.open, reopen).getContentAsString()).contains("reopen-logs takes no fields");
		MockHttpServletRequest status = request("GET", "/actuator/prefork", Map.of("Host", "localhost:8081"));
		status.setQueryString("pretty");
		assertThat(passes(this.open, status)).as("a read").isTrue();
	}

	@Test
	void theEndpointPathIncludesTheDispatcherServletsPath() throws Exception {
		PreforkControlFilter underApi = new PreforkControlFilter("/api/actuator/prefork", "s3cret", HOSTS);
		MockHttpServletRequest status = request("GET", "/actuator/prefork", Map.of("Host", "localhost:8081"));
		status.setServletPath("/api");
		status.setPathInfo("/actuator/prefork");
		assertThat(send(underApi, status).getStatus()).isEqualTo(401);
	}

	@Test
	void allowedHostsAreHostNames() {
		for (String entry : List.of("http://admin.example", "admin.example:8081", "admin.example/x", "*", "a..b")) {
			assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
				.isThrownBy(() -> AllowedHosts.of("127.0.0.1", List.of(entry)))
				.withMessageContaining("prefork.control.allowed-hosts");
		}
		AllowedHosts.of("127.0.0.1", List.of("admin.example", ".example.com", "10.0.0.1", "[::1]", "my_host", ""));
	}

	private static boolean passes(PreforkControlFilter filter, String method, String path, Map<String, String> headers)
			throws Exception {
		return passes(filter, request(method, path, headers));
	}

	private static boolean passes(PreforkControlFilter filter, MockHttpServletRequest request) throws Exception {
		MockFilterChain chain = new MockFilterChain();
		MockHttpServletResponse response = new MockHttpServletResponse();
		filter.doFilter(request, response, chain);
		return chain.getRequest() != null;
	}

	private static MockHttpServletResponse send(PreforkControlFilter filter, String method, String path,
			Map<String, String> headers) throws Exception {
		return send(filter, request(method, path, headers));
	}

	private static MockHttpServletResponse send(PreforkControlFilter filter, MockHttpServletRequest request)
			throws Exception {
		MockHttpServletResponse response = new MockHttpServletResponse();
		MockFilterChain chain = new MockFilterChain();
		filter.doFilter(request, response, chain);
		assertThat(chain.getRequest() == null).as("refused requests stop at the filter").isEqualTo(response.getStatus() >= 400);
		return response;
	}

	/** A request as Tomcat hands it over: the path as the servlet path. */
	private static MockHttpServletRequest request(String method, String path, Map<String, String> headers) {
		MockHttpServletRequest request = new MockHttpServletRequest(method, path);
		request.setServletPath(path);
		headers.forEach(request::addHeader);
		return request;
	}

	@Test
	void acceptsTheFieldsOfEachCommand() {
		assertThat(problem(ControlCommand.SCALE, "{\"workers\":4}")).isNull();
		assertThat(problem(ControlCommand.SCALE, "{\"delta\":-1}")).isNull();
		assertThat(problem(ControlCommand.RELOAD, "{\"strategy\":\"all-at-once\"}")).isNull();
		assertThat(problem(ControlCommand.STOP, "{\"mode\":\"quick\"}")).isNull();
		assertThat(problem(ControlCommand.UPGRADE, "{}")).isNull();
	}

	@Test
	void refusesMalformedJson() {
		assertThat(problem(ControlCommand.SCALE, "{\"workers\":")).startsWith("malformed JSON: ");
		assertThat(problem(ControlCommand.SCALE, "{\"workers\":1} {}")).startsWith("malformed JSON: ");
		assertThat(problem(ControlCommand.SCALE, "{\"workers\":1,\"workers\":2}")).startsWith("malformed JSON: ")
			.contains("workers");
	}

	@Test
	void refusesWhatIsNotAnObject() {
		assertThat(problem(ControlCommand.SCALE, "[4]"))
			.isEqualTo("the body must be a JSON object, such as {\"workers\":4} or {\"delta\":-1}");
	}

	@Test
	void refusesUnknownFieldsNamingTheKnownOnes() {
		assertThat(problem(ControlCommand.SCALE, "{\"count\":4}"))
			.isEqualTo("unknown field 'count' for scale; its fields are delta, workers");
		assertThat(problem(ControlCommand.REOPEN_LOGS, "{\"now\":true}"))
			.isEqualTo("unknown field 'now' for reopen-logs, which takes no fields");
	}

	@Test
	void refusesWrongJsonTypes() {
		assertThat(problem(ControlCommand.SCALE, "{\"workers\":\"4\"}")).isEqualTo("'workers' must be an integer, not \"4\"");
		assertThat(problem(ControlCommand.SCALE, "{\"workers\":2.5}")).isEqualTo("'workers' must be an integer, not 2.5");
		assertThat(problem(ControlCommand.SCALE, "{\"workers\":99999999999}")).startsWith("'workers' must be an integer");
		assertThat(problem(ControlCommand.STOP, "{\"mode\":1}")).isEqualTo("'mode' must be a string, not 1");
	}

	private static String problem(ControlCommand command, String body) {
		return PreforkControlFilter.problem(command, body.getBytes(StandardCharsets.UTF_8));
	}

}
