package dev.prefork.endpoints;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.prefork.protocol.ChannelProtocol;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.InvocationContext;
import org.springframework.boot.actuate.endpoint.OperationArgumentResolver;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.OperationType;
import org.springframework.boot.actuate.endpoint.ProducibleOperationArgumentResolver;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.jackson.EndpointJsonMapper;
import org.springframework.boot.actuate.endpoint.web.ExposableWebEndpoint;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.WebEndpointsSupplier;
import org.springframework.boot.actuate.endpoint.web.WebOperation;
import org.springframework.boot.actuate.endpoint.web.WebOperationRequestPredicate;
import org.springframework.boot.actuate.endpoint.web.WebServerNamespace;
import org.springframework.context.ApplicationContext;
import org.springframework.core.io.Resource;
import org.springframework.util.ClassUtils;
import org.springframework.util.MimeType;
import org.springframework.util.MimeTypeUtils;

/**
 * A worker's answer to the master's {@code ENDPOINT} request: one of the application's own
 * Actuator web endpoints ({@code info}, {@code loggers}, {@code env}, its own
 * {@code @Endpoint}s), invoked as Spring Boot's web adapters invoke them. The worker has no
 * management server of its own; it has the endpoints its configuration exposes, which the
 * master's management server reaches this way ({@link WorkerEndpoints}). Path variables, the
 * query string's parameters and a {@code POST}'s JSON body are the operation's arguments; the
 * result is written as the adapters write it (JSON, text, bytes), a {@code null} result is
 * 404 for a read and 204 otherwise.
 */
public final class ApplicationEndpoints {

	private static final Log logger = LogFactory.getLog(ApplicationEndpoints.class);

	/** The largest answer passed on: a thread dump fits, a heap dump does not. */
	static final int MAX_REPLY_BYTES = 16 * 1024 * 1024;

	private static final EndpointId HEAP_DUMP = EndpointId.of("heapdump");

	/** How long a reactive operation's result is waited for; the master waits no longer. */
	static final Duration TIMEOUT = Duration.ofSeconds(10);

	private ApplicationEndpoints() {
	}

	/** The encoded {@link EndpointReply} to an encoded {@link EndpointCall}. */
	public static byte[] answer(ApplicationContext context, String call) {
		if (!ClassUtils.isPresent("tools.jackson.databind.json.JsonMapper", ApplicationEndpoints.class.getClassLoader())
				|| !ClassUtils.isPresent("org.springframework.boot.actuate.endpoint.web.WebEndpointsSupplier",
						ApplicationEndpoints.class.getClassLoader())) {
			return ("501 text/plain\nthe worker has no Actuator and Jackson 3 to answer with")
				.getBytes(StandardCharsets.UTF_8);
		}
		return Invoker.answer(context, call);
	}

	/** Apart, so that a worker without Actuator or Jackson 3 never loads these classes. */
	static final class Invoker {

		static byte[] answer(ApplicationContext context, String call) {
			EndpointReply reply;
			try {
				reply = call(context, EndpointCall.decode(call));
			}
			catch (IllegalArgumentException ex) {
				reply = EndpointReply.message(400, "a malformed call from the master: " + ex.getMessage());
			}
			if (reply.body().length > MAX_REPLY_BYTES) {
				reply = EndpointReply.message(502, "the answer is " + reply.body().length + " bytes, more than the "
						+ (MAX_REPLY_BYTES >> 20) + " MiB the master passes on");
			}
			return reply.encode();
		}

		static EndpointReply call(ApplicationContext context, EndpointCall call) {
			if (context == null) {
				return EndpointReply.message(503, "the application is not started yet");
			}
			WebEndpointsSupplier endpoints = context.getBeanProvider(WebEndpointsSupplier.class).getIfAvailable();
			if (endpoints == null) {
				return EndpointReply.message(404, "the application has no Actuator web endpoints");
			}
			String method = call.method().equals("HEAD") ? "GET" : call.method();
			List<String> segments = Arrays.stream(call.path().split("/")).filter((s) -> !s.isEmpty()).toList();
			Match best = null;
			boolean pathMatched = false;
			boolean heapDump = false;
			for (ExposableWebEndpoint endpoint : endpoints.getEndpoints()) {
				for (WebOperation operation : endpoint.getOperations()) {
					Map<String, Object> variables = match(operation.getRequestPredicate(), segments);
					if (variables == null) {
						continue;
					}
					pathMatched = true;
					if (!operation.getRequestPredicate().getHttpMethod().name().equals(method)) {
						continue;
					}
					Match candidate = new Match(operation, variables,
							acceptable(operation.getRequestPredicate(), call.accept()));
					if (best == null || candidate.isBetterThan(best)) {
						best = candidate;
						heapDump = endpoint.getEndpointId().equals(HEAP_DUMP);
					}
				}
			}
			if (heapDump) {
				// Larger than what the master passes on, and a pause of the worker to make it.
				return EndpointReply.message(501, "a worker's heap dump is not passed through the master: take it with "
						+ "jcmd <pid> GC.heap_dump <file> (the pids are in /actuator/prefork)");
			}
			if (best == null) {
				return pathMatched ? EndpointReply.message(405, call.method() + " is not supported by /" + call.path())
						: EndpointReply.message(404, "the application has no exposed endpoint at /" + call.path());
			}
			return invoke(context, best, call);
		}

		private static EndpointReply invoke(ApplicationContext context, Match match, EndpointCall call) {
			WebOperation operation = match.operation();
			Map<String, Object> arguments = new LinkedHashMap<>(match.variables());
			JsonMapper mapper = context.getBeanProvider(JsonMapper.class).getIfAvailable(JsonMapper::new);
			if (call.method().equals("POST") && call.body().length > 0) {
				try {
					arguments.putAll(mapper.readValue(call.body(), new TypeReference<Map<String, Object>>() {
					}));
				}
				catch (RuntimeException ex) {
					return EndpointReply.message(400, "the body is not a JSON object: " + ex.getMessage());
				}
			}
			try {
				queryParameters(call.query()).forEach((name, values) -> arguments.put(name,
						(values.size() == 1) ? values.get(0) : values));
			}
			catch (IllegalArgumentException ex) {
				return EndpointReply.message(400, "a malformed query string: " + ex.getMessage());
			}
			List<String> accepts = call.accept().isEmpty() ? List.of() : List.of(call.accept());
			InvocationContext invocation = new InvocationContext(SecurityContext.NONE, arguments,
					new ProducibleOperationArgumentResolver(() -> accepts),
					OperationArgumentResolver.of(WebServerNamespace.class, () -> WebServerNamespace.SERVER));
			Object result;
			try {
				result = resolved(operation.invoke(invocation));
			}
			catch (InvalidEndpointRequestException ex) {
				return EndpointReply.message(400, ex.getReason());
			}
			catch (RuntimeException ex) {
				logger.warn("The " + call.method() + " /" + ChannelProtocol.printable(call.path())
						+ " the master passed on failed", ex);
				return EndpointReply.message(500, "the endpoint failed: " + ex);
			}
			if (result == null) {
				return new EndpointReply((operation.getType() == OperationType.READ) ? 404 : 204, "", null);
			}
			int status = 200;
			MimeType type = null;
			Object body = result;
			if (result instanceof WebEndpointResponse<?> response) {
				status = response.getStatus();
				type = response.getContentType();
				body = response.getBody();
			}
			if (body == null) {
				return new EndpointReply(status, "", null);
			}
			try {
				return written(context, mapper, body, status, type, operation.getRequestPredicate(), accepts);
			}
			catch (IOException | RuntimeException ex) {
				logger.warn("Cannot write the answer of " + call.method() + " /" + ChannelProtocol.printable(call.path()), ex);
				return EndpointReply.message(500, "cannot write the endpoint's answer: " + ex);
			}
		}

		private static EndpointReply written(ApplicationContext context, JsonMapper mapper, Object body, int status,
				MimeType type, WebOperationRequestPredicate predicate, List<String> accepts) throws IOException {
			if (body instanceof Resource resource) {
				try (InputStream in = resource.getInputStream()) {
					// Reading to the end deletes a temporary file (a heap dump); more than the
					// limit is refused anyway.
					return new EndpointReply(status, shown(type, "application/octet-stream"),
							in.readNBytes(MAX_REPLY_BYTES + 1));
				}
			}
			if (body instanceof byte[] bytes) {
				return new EndpointReply(status, shown(type, "application/octet-stream"), bytes);
			}
			if (body instanceof CharSequence text) {
				return new EndpointReply(status, shown(type, "text/plain;charset=UTF-8"),
						text.toString().getBytes(StandardCharsets.UTF_8));
			}
			JsonMapper writer = (body instanceof OperationResponseBody)
					? context.getBeanProvider(EndpointJsonMapper.class).getIfAvailable(() -> () -> mapper).get() : mapper;
			String json = (type != null) ? type.toString() : produced(predicate, accepts);
			return new EndpointReply(status, json, writer.writeValueAsBytes(body));
		}

		private static String shown(MimeType type, String otherwise) {
			return (type != null) ? type.toString() : otherwise;
		}

		/** The first type the operation produces that the client accepts, as the web adapters choose. */
		private static String produced(WebOperationRequestPredicate predicate, List<String> accepts) {
			List<String> produces = new ArrayList<>(predicate.getProduces());
			if (produces.isEmpty()) {
				return "application/json";
			}
			try {
				List<MimeType> accepted = accepts.isEmpty() ? List.of(MimeTypeUtils.ALL)
						: MimeTypeUtils.parseMimeTypes(accepts.get(0));
				for (String produce : produces) {
					MimeType candidate = MimeTypeUtils.parseMimeType(produce);
					if (accepted.stream().anyMatch((accept) -> accept.isCompatibleWith(candidate))) {
						return produce;
					}
				}
			}
			catch (RuntimeException ex) {
				// an Accept header that does not parse: the operation's first type
			}
			return produces.get(0);
		}

		/** A reactive result waited for, as the web adapters subscribe to it. */
		private static Object resolved(Object result) {
			if (result == null || !ClassUtils.isPresent("reactor.core.publisher.Mono",
					ApplicationEndpoints.class.getClassLoader())) {
				return result;
			}
			return Reactive.resolved(result);
		}

		/**
		 * The operation's arguments for its path: its variables by name, the segments that
		 * match {@code {*name}} as an array; {@code null} if the path is not the operation's.
		 */
		static Map<String, Object> match(WebOperationRequestPredicate predicate, List<String> segments) {
			List<String> template = Arrays.stream(predicate.getPath().split("/")).filter((s) -> !s.isEmpty()).toList();
			Map<String, Object> variables = new LinkedHashMap<>();
			for (int i = 0; i < template.size(); i++) {
				String part = template.get(i);
				if (part.startsWith("{*") && part.endsWith("}")) {
					if (i >= segments.size()) {
						return null;
					}
					variables.put(part.substring(2, part.length() - 1),
							segments.subList(i, segments.size()).toArray(String[]::new));
					return variables;
				}
				if (i >= segments.size()) {
					return null;
				}
				if (part.startsWith("{") && part.endsWith("}")) {
					variables.put(part.substring(1, part.length() - 1), segments.get(i));
				}
				else if (!part.equals(segments.get(i))) {
					return null;
				}
			}
			return (template.size() == segments.size()) ? variables : null;
		}

		/** A raw query string's parameters, decoded as a servlet container decodes them. */
		static Map<String, List<String>> queryParameters(String query) {
			Map<String, List<String>> parameters = new LinkedHashMap<>();
			for (String pair : query.split("&")) {
				if (pair.isEmpty()) {
					continue;
				}
				int equals = pair.indexOf('=');
				String name = URLDecoder.decode((equals < 0) ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
				String value = (equals < 0) ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
				parameters.computeIfAbsent(name, (key) -> new ArrayList<>()).add(value);
			}
			return parameters;
		}

		/** Whether the operation produces a type the client accepts (or says nothing about it). */
		private static boolean acceptable(WebOperationRequestPredicate predicate, String accept) {
			if (accept.isEmpty() || predicate.getProduces().isEmpty()) {
				return true;
			}
			try {
				List<MimeType> accepted = MimeTypeUtils.parseMimeTypes(accept);
				return predicate.getProduces()
					.stream()
					.map(MimeTypeUtils::parseMimeType)
					.anyMatch((produced) -> accepted.stream().anyMatch((a) -> a.isCompatibleWith(produced)));
			}
			catch (RuntimeException ex) {
				return true;
			}
		}

		/**
		 * An operation for the path: as Spring's handler mappings choose, literal segments win
		 * over variables, then an operation that produces what the client accepts.
		 */
		private record Match(WebOperation operation, Map<String, Object> variables, boolean acceptable) {

			boolean isBetterThan(Match other) {
				if (this.variables.size() != other.variables.size()) {
					return this.variables.size() < other.variables.size();
				}
				return this.acceptable && !other.acceptable;
			}

		}

	}

	/** Apart, so that a worker without Reactor never loads these classes. */
	private static final class Reactive {

		static Object resolved(Object result) {
			if (result instanceof Mono<?> mono) {
				return mono.block(TIMEOUT);
			}
			if (result instanceof Flux<?> flux) {
				return flux.collectList().block(TIMEOUT);
			}
			return result;
		}

	}

}
