package dev.prefork.autoconfigure;

import java.io.IOException;
import java.util.List;

import dev.prefork.endpoints.EndpointCall;
import dev.prefork.endpoints.EndpointReply;
import dev.prefork.endpoints.WorkerEndpoints;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The application's own endpoints through the master on a servlet stack
 * ({@link WorkerEndpoints}): after the {@link PreforkControlFilter}, a request for one is
 * answered by the workers, the others go on to the master's own endpoints.
 */
class WorkerEndpointsFilter extends OncePerRequestFilter {

	private final WorkerEndpoints endpoints;

	WorkerEndpointsFilter(WorkerEndpoints endpoints) {
		this.endpoints = endpoints;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		String path = request.getServletPath() + ((request.getPathInfo() != null) ? request.getPathInfo() : "");
		String below = this.endpoints.applicationPath(path);
		if (below == null) {
			chain.doFilter(request, response);
			return;
		}
		if (request.getAttribute(ControlGuard.PASSED) == null) {
			// The guard must have seen this request first: never pass one on around it.
			response.sendError(500, "the master's guard did not run");
			return;
		}
		String method = request.getMethod();
		byte[] body = method.equals("POST") ? request.getInputStream().readNBytes(ControlGuard.MAX_BODY_BYTES + 1)
				: new byte[0];
		WorkerEndpoints.Forwarded forwarded = (body.length > ControlGuard.MAX_BODY_BYTES)
				? new WorkerEndpoints.Forwarded(EndpointReply.message(413, "the body is larger than 64 KiB"), List.of())
				: this.endpoints.call(new EndpointCall(method, below, request.getQueryString(), request.getHeader("Accept"),
						body), request.getHeader(WorkerEndpoints.WORKER_HEADER));
		response.setStatus(forwarded.reply().status());
		forwarded.headers().forEach(response::setHeader);
		if (forwarded.hasBody()) {
			response.setContentLength(forwarded.reply().body().length);
			if (!method.equals("HEAD")) {
				response.getOutputStream().write(forwarded.reply().body());
			}
		}
	}

}
