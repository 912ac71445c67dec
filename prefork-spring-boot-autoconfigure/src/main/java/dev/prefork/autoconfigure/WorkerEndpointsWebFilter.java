package dev.prefork.autoconfigure;

import dev.prefork.endpoints.EndpointCall;
import dev.prefork.endpoints.WorkerEndpoints;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * The application's own endpoints through the master on WebFlux ({@link WorkerEndpoints}):
 * after the {@link PreforkControlWebFilter}, a request for one is answered by the workers (off
 * the event loop, since it waits for them), the others go on to the master's own endpoints.
 */
final class WorkerEndpointsWebFilter implements WebFilter, Ordered {

	private final WorkerEndpoints endpoints;

	WorkerEndpointsWebFilter(WorkerEndpoints endpoints) {
		this.endpoints = endpoints;
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE + 1;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		ServerHttpRequest request = exchange.getRequest();
		String below = this.endpoints.applicationPath(PreforkControlWebFilter.routedPath(request));
		if (below == null) {
			return chain.filter(exchange);
		}
		if (exchange.getAttribute(ControlGuard.PASSED) == null) {
			// The guard must have seen this request first: never pass one on around it.
			exchange.getResponse().setStatusCode(HttpStatusCode.valueOf(500));
			return exchange.getResponse().setComplete();
		}
		String method = request.getMethod().name();
		Mono<byte[]> body = !method.equals("POST") ? Mono.just(new byte[0])
				: DataBufferUtils.join(request.getBody(), ControlGuard.MAX_BODY_BYTES)
					.map(WorkerEndpointsWebFilter::bytes)
					.defaultIfEmpty(new byte[0]);
		HttpHeaders headers = request.getHeaders();
		return body
			.map((bytes) -> new EndpointCall(method, below, request.getURI().getRawQuery(), headers.getFirst(HttpHeaders.ACCEPT),
					bytes))
			.publishOn(Schedulers.boundedElastic())
			.map((call) -> this.endpoints.call(call, headers.getFirst(WorkerEndpoints.WORKER_HEADER)))
			.flatMap((forwarded) -> write(exchange.getResponse(), forwarded, method.equals("HEAD")));
	}

	private static Mono<Void> write(ServerHttpResponse response, WorkerEndpoints.Forwarded forwarded, boolean head) {
		response.setStatusCode(HttpStatusCode.valueOf(forwarded.reply().status()));
		forwarded.headers().forEach(response.getHeaders()::set);
		if (!forwarded.hasBody()) {
			return response.setComplete();
		}
		response.getHeaders().setContentLength(forwarded.reply().body().length);
		return head ? response.setComplete()
				: response.writeWith(Mono.just(response.bufferFactory().wrap(forwarded.reply().body())));
	}

	private static byte[] bytes(DataBuffer buffer) {
		byte[] bytes = new byte[buffer.readableByteCount()];
		buffer.read(bytes);
		DataBufferUtils.release(buffer);
		return bytes;
	}

}
