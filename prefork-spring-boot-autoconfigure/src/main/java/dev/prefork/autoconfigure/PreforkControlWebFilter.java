package dev.prefork.autoconfigure;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * The {@link ControlGuard} on WebFlux: every request to the master's management server passes
 * its checks first, before any handler mapping. Paths are matched as WebFlux's handler
 * mappings match them: segment by segment, decoded, without path parameters.
 */
final class PreforkControlWebFilter implements WebFilter, Ordered {

	private final ControlGuard guard;

	/**
	 * @param endpointPath the prefork endpoint's path below the base path, e.g. {@code /actuator/prefork}
	 * @param token the bearer token required for commands, or {@code null} for none
	 * @param hosts what a request without the token may name in {@code Host} and {@code Origin}
	 */
	PreforkControlWebFilter(String endpointPath, String token, AllowedHosts hosts) {
		this(endpointPath, token, hosts, (path) -> false);
	}

	/**
	 * @param applicationEndpoint whether a path is one of the application's endpoints, which
	 * the workers answer
	 */
	PreforkControlWebFilter(String endpointPath, String token, AllowedHosts hosts, Predicate<String> applicationEndpoint) {
		this.guard = new ControlGuard(endpointPath, token, hosts, applicationEndpoint);
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		ServerHttpRequest request = exchange.getRequest();
		String method = request.getMethod().name();
		ControlGuard.Check check = this.guard.check(method, routedPath(request), request.getURI().getRawQuery(),
				request.getHeaders()::getFirst,
				() -> method + " " + request.getURI().getRawPath() + " from " + client(request));
		if (check.refusal() != null) {
			// Read what the client sent first (as Tomcat swallows it): a connection closed with
			// unread bytes is reset, and the client may lose the answer.
			return DataBufferUtils.join(request.getBody(), ControlGuard.MAX_BODY_BYTES)
				.doOnNext(DataBufferUtils::release)
				.onErrorResume(DataBufferLimitException.class, (tooLarge) -> Mono.empty())
				.then(refuse(exchange.getResponse(), check.refusal()));
		}
		exchange.getAttributes().put(ControlGuard.PASSED, Boolean.TRUE);
		if (!check.needsBody()) {
			return chain.filter(exchange);
		}
		String declared = request.getHeaders().getFirst(HttpHeaders.CONTENT_TYPE);
		return DataBufferUtils.join(request.getBody(), ControlGuard.MAX_BODY_BYTES)
			.map(PreforkControlWebFilter::bytes)
			.defaultIfEmpty(new byte[0])
			.onErrorResume(DataBufferLimitException.class, (tooLarge) -> Mono.just(new byte[ControlGuard.MAX_BODY_BYTES + 1]))
			.flatMap((body) -> {
				ControlGuard.BodyCheck checked = this.guard.checkBody(check, body, declared);
				if (checked.refusal() != null) {
					return refuse(exchange.getResponse(), checked.refusal());
				}
				return chain.filter(exchange.mutate().request(new BodyRequest(request, checked.body())).build());
			});
	}

	private static String client(ServerHttpRequest request) {
		InetSocketAddress remote = request.getRemoteAddress();
		return (remote == null) ? "?" : (remote.getAddress() != null) ? remote.getAddress().getHostAddress()
				: remote.getHostString();
	}

	/** The path within the application as the handler mappings see it: decoded segments without parameters. */
	static String routedPath(ServerHttpRequest request) {
		String joined = request.getPath()
			.pathWithinApplication()
			.elements()
			.stream()
			.map((element) -> (element instanceof PathContainer.PathSegment segment) ? segment.valueToMatch()
					: element.value())
			.collect(Collectors.joining());
		return normalize(joined);
	}

	/** Dot segments resolved, as a servlet container does before it routes. */
	static String normalize(String path) {
		Deque<String> kept = new ArrayDeque<>();
		for (String segment : path.split("/", -1)) {
			if (segment.equals("..")) {
				kept.pollLast();
			}
			else if (!segment.equals(".") && !segment.isEmpty()) {
				kept.addLast(segment);
			}
		}
		String normalized = "/" + String.join("/", kept);
		return (path.endsWith("/") && !normalized.equals("/")) ? normalized + "/" : normalized;
	}

	private static byte[] bytes(DataBuffer buffer) {
		byte[] bytes = new byte[buffer.readableByteCount()];
		buffer.read(bytes);
		DataBufferUtils.release(buffer);
		return bytes;
	}

	private static Mono<Void> refuse(ServerHttpResponse response, ControlGuard.Refusal refusal) {
		response.setStatusCode(HttpStatusCode.valueOf(refusal.status()));
		if (refusal.challenge()) {
			response.getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, ControlGuard.Refusal.CHALLENGE);
		}
		response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
		return response.writeWith(Mono.just(response.bufferFactory().wrap(refusal.json())));
	}

	/** The request with its body, already read here, readable again by the endpoint; JSON, since it was checked or is empty. */
	private static final class BodyRequest extends ServerHttpRequestDecorator {

		private final byte[] body;

		private final HttpHeaders headers;

		BodyRequest(ServerHttpRequest request, byte[] body) {
			super(request);
			this.body = body;
			this.headers = new HttpHeaders();
			this.headers.putAll(request.getHeaders());
			this.headers.setContentType(MediaType.APPLICATION_JSON);
			this.headers.setContentLength(body.length);
			this.headers.remove(HttpHeaders.TRANSFER_ENCODING);
		}

		@Override
		public HttpHeaders getHeaders() {
			return this.headers;
		}

		@Override
		public Flux<DataBuffer> getBody() {
			// No body at all for an empty one: a JSON decoder fails on an empty buffer, and the
			// endpoint reads no body as a command without fields.
			return (this.body.length == 0) ? Flux.empty()
					: Flux.defer(() -> Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(this.body)));
		}

	}

}
