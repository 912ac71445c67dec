package dev.prefork.autoconfigure;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.function.Predicate;

import dev.prefork.master.ControlCommand;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The {@link ControlGuard} on a servlet stack: every request to the master's management
 * server passes its checks first. Paths are the dispatcher's (servlet path and path info:
 * decoded, path parameters removed, dot segments resolved).
 */
class PreforkControlFilter extends OncePerRequestFilter {

	private final ControlGuard guard;

	/**
	 * @param endpointPath the prefork endpoint's path below the context path, with the
	 * dispatcher servlet's path, e.g. {@code /actuator/prefork}
	 * @param token the bearer token required for commands, or {@code null} for none
	 * @param hosts what a request without the token may name in {@code Host} and {@code Origin}
	 */
	PreforkControlFilter(String endpointPath, String token, AllowedHosts hosts) {
		this(endpointPath, token, hosts, (path) -> false);
	}

	/**
	 * @param applicationEndpoint whether a path is one of the application's endpoints, which
	 * the workers answer
	 */
	PreforkControlFilter(String endpointPath, String token, AllowedHosts hosts, Predicate<String> applicationEndpoint) {
		this.guard = new ControlGuard(endpointPath, token, hosts, applicationEndpoint);
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		String path = request.getServletPath() + ((request.getPathInfo() != null) ? request.getPathInfo() : "");
		ControlGuard.Check check = this.guard.check(request.getMethod(), path, request.getQueryString(),
				request::getHeader,
				() -> request.getMethod() + " " + request.getRequestURI() + " from " + request.getRemoteAddr());
		if (check.refusal() != null) {
			refuse(response, check.refusal());
			return;
		}
		request.setAttribute(ControlGuard.PASSED, Boolean.TRUE);
		if (!check.needsBody()) {
			chain.doFilter(request, response);
			return;
		}
		byte[] body = request.getInputStream().readNBytes(ControlGuard.MAX_BODY_BYTES + 1);
		ControlGuard.BodyCheck checked = this.guard.checkBody(check, body, request.getContentType());
		if (checked.refusal() != null) {
			refuse(response, checked.refusal());
			return;
		}
		chain.doFilter(new BodyRequest(request, checked.body()), response);
	}

	/** What is wrong with a command's body, or {@code null} if nothing. */
	static String problem(ControlCommand command, byte[] body) {
		return ControlGuard.problem(command, body);
	}

	private static void refuse(HttpServletResponse response, ControlGuard.Refusal refusal) throws IOException {
		response.setStatus(refusal.status());
		if (refusal.challenge()) {
			response.setHeader("WWW-Authenticate", ControlGuard.Refusal.CHALLENGE);
		}
		response.setContentType("application/json");
		response.getOutputStream().write(refusal.json());
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
