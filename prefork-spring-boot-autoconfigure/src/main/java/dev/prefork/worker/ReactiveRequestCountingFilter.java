package dev.prefork.worker;

import io.micrometer.observation.ObservationPredicate;
import jakarta.servlet.ServletRequest;
import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.util.ClassUtils;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * {@link RequestCountingFilter} for WebFlux applications: counts requests for the heartbeat
 * and records the paths of answered GETs. The warm-up's requests, which carry
 * {@link WorkerServer#WARMUP_ATTRIBUTE} in their Reactor context (Netty) or as an attribute of
 * the servlet request under them (Tomcat, Jetty), are neither counted nor recorded.
 */
final class ReactiveRequestCountingFilter implements WebFilter, Ordered {

	/** WebFlux on Tomcat or Jetty: the servlet API is there (not on Netty, so looked up by name). */
	private static final boolean SERVLET = ClassUtils.isPresent("jakarta.servlet.ServletRequest",
			ReactiveRequestCountingFilter.class.getClassLoader());

	private final WorkerRequestStats stats;

	/** Null when prefork.warmup.record is off. */
	private final ServedPaths paths;

	ReactiveRequestCountingFilter(WorkerRequestStats stats, ServedPaths paths) {
		this.stats = stats;
		this.paths = paths;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		return Mono.deferContextual((context) -> (context.hasKey(WorkerServer.WARMUP_ATTRIBUTE)
				|| isWarmup(exchange.getRequest())) ? chain.filter(exchange) : counted(exchange, chain));
	}

	/**
	 * Keeps the warm-up's requests out of the application's observations
	 * ({@code http.server.requests} and whatever else observes server requests).
	 */
	static ObservationPredicate withoutWarmup() {
		return (name, context) -> !(context instanceof ServerRequestObservationContext server
				&& server.getCarrier() != null && isWarmup(server.getCarrier()));
	}

	/** A warm-up request: marked by the private server under it ({@link WarmupRequest}, Netty) or its servlet request. */
	private static boolean isWarmup(ServerHttpRequest request) {
		for (ServerHttpRequest at = request; at instanceof ServerHttpRequestDecorator decorator;
				at = decorator.getDelegate()) {
			if (at instanceof WarmupRequest) {
				return true;
			}
		}
		return SERVLET && ServletWarmup.marks(request);
	}

	private Mono<Void> counted(ServerWebExchange exchange, WebFilterChain chain) {
		this.stats.started();
		return chain.filter(exchange).doOnSuccess((done) -> record(exchange)).doFinally((signal) -> this.stats.finished());
	}

	private void record(ServerWebExchange exchange) {
		HttpStatusCode status = exchange.getResponse().getStatusCode();
		if (this.paths != null && HttpMethod.GET.equals(exchange.getRequest().getMethod())
				&& (status == null || status.is2xxSuccessful())) {
			this.paths.record(exchange.getRequest().getPath().value());
		}
	}

	/** Loaded only where the servlet API is. */
	private static final class ServletWarmup {

		static boolean marks(ServerHttpRequest request) {
			Object found = ServerHttpRequestDecorator.getNativeRequest(request);
			return found instanceof ServletRequest servlet && servlet.getAttribute(WorkerServer.WARMUP_ATTRIBUTE) != null;
		}

	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
