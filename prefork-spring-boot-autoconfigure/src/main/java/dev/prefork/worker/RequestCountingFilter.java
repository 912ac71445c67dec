package dev.prefork.worker;

import java.io.IOException;

import io.micrometer.observation.ObservationPredicate;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.server.observation.ServerRequestObservationContext;

/**
 * Counts requests for the heartbeat and records the paths of answered GETs for the
 * warm-up of later workers. Runs first, so it sees every request; the warm-up's own
 * requests are neither counted nor recorded.
 */
final class RequestCountingFilter implements Filter {

	private final WorkerRequestStats stats;

	/** Null when prefork.warmup.record is off. */
	private final ServedPaths paths;

	RequestCountingFilter(WorkerRequestStats stats, ServedPaths paths) {
		this.stats = stats;
		this.paths = paths;
	}

	/**
	 * Keeps the warm-up's requests out of the application's observations
	 * ({@code http.server.requests} and whatever else observes server requests).
	 */
	static ObservationPredicate withoutWarmup() {
		return (name, context) -> !(context instanceof ServerRequestObservationContext server
				&& server.getCarrier() != null && server.getCarrier().getAttribute(WorkerServer.WARMUP_ATTRIBUTE) != null);
	}

	@Override
	public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
			throws IOException, ServletException {
		if (request.getAttribute(WorkerServer.WARMUP_ATTRIBUTE) != null) {
			chain.doFilter(request, response);
			return;
		}
		this.stats.started();
		boolean completed = false;
		try {
			chain.doFilter(request, response);
			completed = true;
		}
		finally {
			this.stats.finished();
			if (completed && this.paths != null && request instanceof HttpServletRequest http
					&& response instanceof HttpServletResponse answer && "GET".equals(http.getMethod())
					&& answer.getStatus() >= 200 && answer.getStatus() < 300 && !request.isAsyncStarted()) {
				this.paths.record(http.getRequestURI());
			}
		}
	}

}
