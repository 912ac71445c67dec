package dev.prefork.worker;

import java.io.IOException;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;

/**
 * Counts requests for the heartbeat. Runs first, so it sees every request.
 */
final class RequestCountingFilter implements Filter {

	private final WorkerRequestStats stats;

	RequestCountingFilter(WorkerRequestStats stats) {
		this.stats = stats;
	}

	@Override
	public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
			throws IOException, ServletException {
		this.stats.started();
		try {
			chain.doFilter(request, response);
		}
		finally {
			this.stats.finished();
		}
	}

}
