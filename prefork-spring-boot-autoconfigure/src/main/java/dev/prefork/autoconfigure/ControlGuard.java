package dev.prefork.autoconfigure;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

import dev.prefork.master.ControlCommand;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;

/**
 * The rules that guard every request to the master's management server, whatever web stack
 * serves it ({@link PreforkControlFilter} on a servlet stack, {@link PreforkControlWebFilter}
 * on WebFlux). A request without the bearer token must name a host the master answers to in
 * {@code Host} ({@link AllowedHosts}, against DNS rebinding); with the token it may name any,
 * since no rebound page has it. With {@code prefork.control.token} set, the prefork endpoint
 * (status and commands), every write operation of any endpoint and every request for one of
 * the application's endpoints (its {@code env}, {@code loggers}, thread dumps, which the
 * workers answer) need the token; health and Prometheus stay open to probes and scrapers. Every write operation must come from no browser
 * page of another origin: a foreign {@code Origin} or {@code Sec-Fetch-Site} is refused, a body
 * must be {@code application/json}. A prefork command takes no query string, and its body must
 * be well-formed JSON, an object, with only the command's fields and the right JSON types:
 * Actuator maps any body and query string leniently, and a control request that is wrong in
 * any way must be refused with a message and change nothing.
 *
 * <p>
 * Paths are matched as the web stack routes them (decoded, path parameters removed, dot
 * segments resolved) and without regard to case, so no spelling of a path reaches the
 * endpoint around the guard.
 */
final class ControlGuard {

	static final int MAX_BODY_BYTES = 64 * 1024;

	/**
	 * The request attribute the guard's filter sets on a request it let through: the filter
	 * that passes requests on to the workers refuses any without it.
	 */
	static final String PASSED = ControlGuard.class.getName() + ".passed";

	private static final Log logger = LogFactory.getLog(ControlGuard.class);

	private static final long HOST_LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

	/** A request for a host this server is not: what a {@code Host} of no name of the master gets. */
	private static final int MISDIRECTED_REQUEST = 421;

	private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

	private static final JsonMapper json = JsonMapper.builder()
		.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
		.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
		.build();

	private final String endpointPath;

	private final byte[] token;

	private final AllowedHosts hosts;

	private final Predicate<String> applicationEndpoint;

	private final AtomicLong nextHostLog = new AtomicLong(System.nanoTime());

	/**
	 * @param endpointPath the prefork endpoint's path as the web stack routes it, e.g.
	 * {@code /actuator/prefork}
	 * @param token the bearer token required for commands, or {@code null} for none
	 * @param hosts what a request without the token may name in {@code Host} and {@code Origin}
	 */
	ControlGuard(String endpointPath, String token, AllowedHosts hosts) {
		this(endpointPath, token, hosts, (path) -> false);
	}

	/**
	 * @param applicationEndpoint whether a path is one of the application's endpoints (which
	 * the workers answer): with a token, reading one needs it too
	 */
	ControlGuard(String endpointPath, String token, AllowedHosts hosts, Predicate<String> applicationEndpoint) {
		this.applicationEndpoint = applicationEndpoint;
		this.endpointPath = endpointPath.toLowerCase(Locale.ROOT);
		this.token = (token != null) ? ("Bearer " + token).getBytes(StandardCharsets.UTF_8) : null;
		this.hosts = hosts;
	}

	/**
	 * The checks that need no body.
	 * @param method the request's method
	 * @param path the path as the web stack routes it (decoded, without path parameters)
	 * @param query the raw query string, or {@code null}
	 * @param headers a request header by name, or {@code null}
	 * @param described the request for the log: method, URI and client
	 * @return what to do next
	 */
	Check check(String method, String path, String query, Function<String, String> headers, Supplier<String> described) {
		path = path.replaceAll("/{2,}", "/");
		String lowerCase = path.toLowerCase(Locale.ROOT);
		boolean prefork = lowerCase.equals(this.endpointPath) || lowerCase.startsWith(this.endpointPath + "/");
		boolean write = !SAFE_METHODS.contains(method);
		String command = prefork ? path.substring(Math.min(path.length(), this.endpointPath.length() + 1)) : path;
		boolean withToken = this.token != null && authorized(headers.apply("Authorization"));
		String wrongHost = withToken ? null : this.hosts.hostProblem(headers.apply("Host"));
		if (wrongHost != null) {
			logRefusedHost(described, wrongHost);
			return Check.refused(new Refusal(MISDIRECTED_REQUEST, command, wrongHost, false));
		}
		boolean application = !prefork && this.applicationEndpoint.test(path);
		if (!prefork && !write && !application) {
			return Check.PASS;
		}
		if (this.token != null && !withToken) {
			return Check.refused(new Refusal(401, command,
					"this master requires the bearer token of prefork.control.token: send Authorization: Bearer <token>",
					true));
		}
		if (!write) {
			// A page of another site must not make the workers dump their threads or environment.
			String foreign = application ? foreignOrigin(headers) : null;
			return (foreign != null) ? Check.refused(new Refusal(403, command, foreign, false)) : Check.PASS;
		}
		String foreign = foreignOrigin(headers);
		if (foreign != null) {
			return Check.refused(new Refusal(403, command, foreign, false));
		}
		if (prefork && query != null && !query.isEmpty()) {
			return Check.refused(new Refusal(400, command, queryProblem(command, query), false));
		}
		return new Check(null, true, prefork, command, method);
	}

	/**
	 * The checks of a write request's body.
	 * @param check what {@link #check} returned, with {@link Check#needsBody()}
	 * @param body up to {@link #MAX_BODY_BYTES} + 1 bytes of the body
	 * @param contentType the request's content type, or {@code null}
	 * @return the body to pass on (checked, or empty), or the refusal
	 */
	BodyCheck checkBody(Check check, byte[] body, String contentType) {
		String command = check.command;
		if (body.length > MAX_BODY_BYTES) {
			return BodyCheck.refused(new Refusal(413, command, "the body is larger than 64 KiB", false));
		}
		boolean empty = new String(body, StandardCharsets.UTF_8).isBlank();
		// No body and no content type is curl -X POST; a browser form always sends one.
		if (!(empty && contentType == null) && !isJson(contentType)) {
			return BodyCheck.refused(new Refusal(415, command,
					"send the body as JSON with Content-Type: application/json (was " + contentType + ")", false));
		}
		ControlCommand known = check.prefork ? ControlCommand.ofName(command).orElse(null) : null;
		if (!check.prefork || (known == null && !check.method.equals("POST"))) {
			return new BodyCheck(null, body);
		}
		if (known == null || empty) {
			// No body is an empty command; an unknown command gets the endpoint's 404 with the
			// list of commands.
			return new BodyCheck(null, new byte[0]);
		}
		String problem = problem(known, body);
		if (problem != null) {
			return BodyCheck.refused(new Refusal(400, command, problem, false));
		}
		return new BodyCheck(null, body);
	}

	/**
	 * A scraper or probe that reaches the master by a name of its own is refused too: say so
	 * in the master's log, where its operator looks, at most once a minute.
	 */
	private void logRefusedHost(Supplier<String> described, String problem) {
		long now = System.nanoTime();
		long next = this.nextHostLog.get();
		if (now - next >= 0 && this.nextHostLog.compareAndSet(next, now + HOST_LOG_INTERVAL_NANOS)) {
			logger.warn("Refused " + described.get() + " with 421: " + problem + " (logged at most once a minute)");
		}
	}

	/** {@code application/json} or a {@code +json} type, parameters ignored. */
	static boolean isJson(String contentType) {
		if (contentType == null) {
			return false;
		}
		try {
			MediaType type = MediaType.parseMediaType(contentType);
			return type.getType().equals("application")
					&& (type.getSubtype().equals("json") || type.getSubtype().endsWith("+json"));
		}
		catch (InvalidMediaTypeException ex) {
			return false;
		}
	}

	/**
	 * Why a write request comes from a page of another origin, or {@code null}: browsers
	 * send {@code Origin} with every cross-origin POST, and {@code Sec-Fetch-Site}.
	 */
	private String foreignOrigin(Function<String, String> headers) {
		String fetchSite = headers.apply("Sec-Fetch-Site");
		if (fetchSite != null && !fetchSite.equals("same-origin") && !fetchSite.equals("none")) {
			return "a browser page of another site may not send commands (Sec-Fetch-Site: " + fetchSite + ")";
		}
		String origin = headers.apply("Origin");
		return (origin != null) ? this.hosts.originProblem(origin, headers.apply("Host")) : null;
	}

	/** Actuator would take a query string's parameters as the command's fields, unchecked. */
	private static String queryProblem(String command, String query) {
		String shown = (query.length() > 100) ? query.substring(0, 100) + "..." : query;
		ControlCommand known = ControlCommand.ofName(command).orElse(null);
		String fields = (known == null) ? ""
				: known.fields().isEmpty() ? "; " + known.commandName() + " takes no fields" : ", such as " + example(known);
		return "a command takes no query string (?" + shown + "): send its fields as a JSON body" + fields;
	}

	private boolean authorized(String header) {
		return header != null && MessageDigest.isEqual(this.token, header.getBytes(StandardCharsets.UTF_8));
	}

	/** What is wrong with a command's body, or {@code null} if nothing. */
	static String problem(ControlCommand command, byte[] body) {
		JsonNode root;
		try {
			root = json.readTree(body);
		}
		catch (JacksonException ex) {
			return "malformed JSON: " + ex.getOriginalMessage();
		}
		if (!root.isObject()) {
			return "the body must be a JSON object, such as " + example(command);
		}
		Map<String, ControlCommand.FieldType> fields = command.fields();
		for (Iterator<Map.Entry<String, JsonNode>> entries = root.properties().iterator(); entries.hasNext();) {
			Map.Entry<String, JsonNode> entry = entries.next();
			ControlCommand.FieldType type = fields.get(entry.getKey());
			if (type == null) {
				return "unknown field '" + entry.getKey() + "' for " + command.commandName() + (fields.isEmpty()
						? ", which takes no fields" : "; its fields are " + String.join(", ", new TreeSet<>(fields.keySet())));
			}
			JsonNode value = entry.getValue();
			if (type == ControlCommand.FieldType.INTEGER && !(value.isIntegralNumber() && value.canConvertToInt())) {
				return "'" + entry.getKey() + "' must be an integer, not " + value;
			}
			if (type == ControlCommand.FieldType.STRING && !value.isString()) {
				return "'" + entry.getKey() + "' must be a string, not " + value;
			}
		}
		return null;
	}

	private static String example(ControlCommand command) {
		return switch (command) {
			case RELOAD -> "{\"strategy\":\"rolling\"}";
			case SCALE -> "{\"workers\":4} or {\"delta\":-1}";
			case STOP -> "{\"mode\":\"graceful\"}";
			default -> "{}";
		};
	}

	/**
	 * What the checks that need no body decided.
	 * @param refusal the refusal, or {@code null}
	 * @param needsBody whether the body must be read and checked ({@link #checkBody})
	 */
	record Check(Refusal refusal, boolean needsBody, boolean prefork, String command, String method) {

		static final Check PASS = new Check(null, false, false, "", "");

		static Check refused(Refusal refusal) {
			return new Check(refusal, false, false, refusal.command(), "");
		}

	}

	/**
	 * What the body checks decided.
	 * @param refusal the refusal, or {@code null}
	 * @param body the body to pass on, as JSON, when not refused
	 */
	record BodyCheck(Refusal refusal, byte[] body) {

		static BodyCheck refused(Refusal refusal) {
			return new BodyCheck(refusal, null);
		}

	}

	/**
	 * A request refused: answered with the status and a JSON body saying why.
	 * @param challenge whether to send {@code WWW-Authenticate}
	 */
	record Refusal(int status, String command, String message, boolean challenge) {

		static final String CHALLENGE = "Bearer realm=\"prefork\"";

		byte[] json() {
			Map<String, String> body = new LinkedHashMap<>();
			body.put("command", this.command);
			body.put("result", "refused");
			body.put("message", this.message);
			return json.writeValueAsBytes(body);
		}

	}

}
