package dev.prefork.autoconfigure;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.prefork.master.ControlCommand;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Guards every request to the master's management server. A request without the bearer
 * token must name a host the master answers to in {@code Host} ({@link AllowedHosts}, against
 * DNS rebinding); with the token it may name any, since no rebound page has it. With
 * {@code prefork.control.token} set, the prefork endpoint (status and commands) and every
 * write operation of any endpoint need the token; health and Prometheus stay open to probes
 * and scrapers. Every write operation must come from no browser page of another origin: a
 * foreign {@code Origin} or {@code Sec-Fetch-Site} is refused, a body must be
 * {@code application/json}. A prefork command takes no query string, and its body must be
 * well-formed JSON, an object, with only the command's fields and the right JSON types:
 * Actuator maps any body and query string leniently, and a control request that is wrong in
 * any way must be refused with a message and change nothing.
 *
 * <p>
 * Paths are matched as the dispatcher sees them (decoded, path parameters removed, dot
 * segments resolved) and without regard to case, so no spelling of a path reaches the
 * endpoint around the guard.
 */
class PreforkControlFilter extends OncePerRequestFilter {

	private static final int MAX_BODY_BYTES = 64 * 1024;

	private static final Log logger = LogFactory.getLog(PreforkControlFilter.class);

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

	private final AtomicLong nextHostLog = new AtomicLong(System.nanoTime());

	/**
	 * @param endpointPath the prefork endpoint's path below the context path, with the
	 * dispatcher servlet's path, e.g. {@code /actuator/prefork}
	 * @param token the bearer token required for commands, or {@code null} for none
	 * @param hosts what a request without the token may name in {@code Host} and {@code Origin}
	 */
	PreforkControlFilter(String endpointPath, String token, AllowedHosts hosts) {
		this.endpointPath = endpointPath.toLowerCase(Locale.ROOT);
		this.token = (token != null) ? ("Bearer " + token).getBytes(StandardCharsets.UTF_8) : null;
		this.hosts = hosts;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		String path = dispatchedPath(request);
		String lowerCase = path.toLowerCase(Locale.ROOT);
		boolean prefork = lowerCase.equals(this.endpointPath) || lowerCase.startsWith(this.endpointPath + "/");
		boolean write = !SAFE_METHODS.contains(request.getMethod());
		String command = prefork ? path.substring(Math.min(path.length(), this.endpointPath.length() + 1)) : path;
		boolean withToken = this.token != null && authorized(request);
		String wrongHost = withToken ? null : this.hosts.hostProblem(request.getHeader("Host"));
		if (wrongHost != null) {
			logRefusedHost(request, wrongHost);
			refuse(response, MISDIRECTED_REQUEST, command, wrongHost);
			return;
		}
		if (!prefork && !write) {
			chain.doFilter(request, response);
			return;
		}
		if (this.token != null && !withToken) {
			response.setHeader("WWW-Authenticate", "Bearer realm=\"prefork\"");
			refuse(response, HttpServletResponse.SC_UNAUTHORIZED, command,
					"this master requires the bearer token of prefork.control.token: send Authorization: Bearer <token>");
			return;
		}
		if (!write) {
			chain.doFilter(request, response);
			return;
		}
		String foreign = foreignOrigin(request);
		if (foreign != null) {
			refuse(response, HttpServletResponse.SC_FORBIDDEN, command, foreign);
			return;
		}
		String query = request.getQueryString();
		if (prefork && query != null && !query.isEmpty()) {
			refuse(response, HttpServletResponse.SC_BAD_REQUEST, command, queryProblem(command, query));
			return;
		}
		byte[] body = request.getInputStream().readNBytes(MAX_BODY_BYTES + 1);
		if (body.length > MAX_BODY_BYTES) {
			refuse(response, HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE, command, "the body is larger than 64 KiB");
			return;
		}
		boolean empty = new String(body, StandardCharsets.UTF_8).isBlank();
		String contentType = request.getContentType();
		// No body and no content type is curl -X POST; a browser form always sends one.
		if (!(empty && contentType == null) && !isJson(contentType)) {
			refuse(response, HttpServletResponse.SC_UNSUPPORTED_MEDIA_TYPE, command,
					"send the body as JSON with Content-Type: application/json (was " + contentType + ")");
			return;
		}
		ControlCommand known = prefork ? ControlCommand.ofName(command).orElse(null) : null;
		if (!prefork || (known == null && !request.getMethod().equals("POST"))) {
			chain.doFilter(new BodyRequest(request, body), response);
			return;
		}
		if (known == null || empty) {
			// No body is an empty command; an unknown command gets the endpoint's 404 with the
			// list of commands.
			chain.doFilter(new BodyRequest(request, new byte[0]), response);
			return;
		}
		String problem = problem(known, body);
		if (problem != null) {
			refuse(response, HttpServletResponse.SC_BAD_REQUEST, command, problem);
			return;
		}
		chain.doFilter(new BodyRequest(request, body), response);
	}

	/**
	 * A scraper or probe that reaches the master by a name of its own is refused too: say so
	 * in the master's log, where its operator looks, at most once a minute.
	 */
	private void logRefusedHost(HttpServletRequest request, String problem) {
		long now = System.nanoTime();
		long next = this.nextHostLog.get();
		if (now - next >= 0 && this.nextHostLog.compareAndSet(next, now + HOST_LOG_INTERVAL_NANOS)) {
			logger.warn("Refused " + request.getMethod() + " " + request.getRequestURI() + " from "
					+ request.getRemoteAddr() + " with 421: " + problem + " (logged at most once a minute)");
		}
	}

	/** The path the dispatcher routes: decoded, without path parameters, dot segments resolved. */
	private static String dispatchedPath(HttpServletRequest request) {
		String path = request.getServletPath() + ((request.getPathInfo() != null) ? request.getPathInfo() : "");
		return path.replaceAll("/{2,}", "/");
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
	private String foreignOrigin(HttpServletRequest request) {
		String fetchSite = request.getHeader("Sec-Fetch-Site");
		if (fetchSite != null && !fetchSite.equals("same-origin") && !fetchSite.equals("none")) {
			return "a browser page of another site may not send commands (Sec-Fetch-Site: " + fetchSite + ")";
		}
		String origin = request.getHeader("Origin");
		return (origin != null) ? this.hosts.originProblem(origin, request.getHeader("Host")) : null;
	}

	/** Actuator would take a query string's parameters as the command's fields, unchecked. */
	private static String queryProblem(String command, String query) {
		String shown = (query.length() > 100) ? query.substring(0, 100) + "..." : query;
		ControlCommand known = ControlCommand.ofName(command).orElse(null);
		String fields = (known == null) ? ""
				: known.fields().isEmpty() ? "; " + known.commandName() + " takes no fields" : ", such as " + example(known);
		return "a command takes no query string (?" + shown + "): send its fields as a JSON body" + fields;
	}

	private boolean authorized(HttpServletRequest request) {
		String header = request.getHeader("Authorization");
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

	private static void refuse(HttpServletResponse response, int status, String command, String message)
			throws IOException {
		response.setStatus(status);
		response.setContentType("application/json");
		Map<String, String> body = new LinkedHashMap<>();
		body.put("command", command);
		body.put("result", "refused");
		body.put("message", message);
		response.getOutputStream().write(json.writeValueAsBytes(body));
	}

	/**
	 * The request with its body, already read here, readable again by the endpoint; JSON
	 * whatever the client declared, since the body was checked or is empty.
	 */
	private static final class BodyRequest extends HttpServletRequestWrapper {

		private final byte[] body;

		BodyRequest(HttpServletRequest request, byte[] body) {
			super(request);
			this.body = body;
		}

		@Override
		public ServletInputStream getInputStream() {
			ByteArrayInputStream in = new ByteArrayInputStream(this.body);
			return new ServletInputStream() {

				@Override
				public int read() {
					return in.read();
				}

				@Override
				public int read(byte[] buffer, int offset, int length) {
					return in.read(buffer, offset, length);
				}

				@Override
				public boolean isFinished() {
					return in.available() == 0;
				}

				@Override
				public boolean isReady() {
					return true;
				}

				@Override
				public void setReadListener(ReadListener listener) {
					throw new UnsupportedOperationException();
				}

			};
		}

		@Override
		public String getContentType() {
			return "application/json";
		}

		@Override
		public String getHeader(String name) {
			return name.equalsIgnoreCase("Content-Type") ? getContentType() : super.getHeader(name);
		}

		@Override
		public Enumeration<String> getHeaders(String name) {
			return name.equalsIgnoreCase("Content-Type") ? Collections.enumeration(List.of(getContentType()))
					: super.getHeaders(name);
		}

		@Override
		public int getContentLength() {
			return this.body.length;
		}

		@Override
		public long getContentLengthLong() {
			return this.body.length;
		}

	}

}
