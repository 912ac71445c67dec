package dev.prefork.worker;

import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * {@link RequestCountingFilter} for WebFlux applications: counts requests for the heartbeat
 * and records the paths of answered GETs. The warm-up's requests, which carry
 * {@link WorkerServer#WARMUP_ATTRIBUTE} in their Reactor context, are neither counted nor
 * recorded.
 */
final class ReactiveRequestCountingFilter implements WebFilter, Ordered {

	private final WorkerRequestStats stats;

	/** Null when prefork.warmup.record is off. */
	private final ServedPaths paths;

	ReactiveRequestCountingFilter(WorkerRequestStats stats, ServedPaths paths) {
		this.stats = stats;
		this.paths = paths;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		return Mono.deferContextual((context) -> context.hasKey(WorkerServer.WARMUP_ATTRIBUTE) ? chain.filter(exchange)
				: counted(exchange, chain));
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

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
