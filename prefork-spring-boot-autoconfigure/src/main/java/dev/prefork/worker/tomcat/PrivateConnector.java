package dev.prefork.worker.tomcat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import dev.prefork.worker.WorkerServer;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.Service;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.valves.AbstractAccessLogValve;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.http11.Http11NioProtocol;

/**
 * A second Tomcat connector, on a loopback port of its own, through which a worker warms
 * itself up before it takes connections from the shared socket. Its requests go through
 * the same engine, filters and servlets as the clients'; only the acceptor differs. It is
 * open only while the warm-up runs, and a valve in front of the application answers 403 to
 * any request on it without the key the warm-up client sends, so another local process that
 * finds the port never reaches the application.
 */
final class PrivateConnector implements WorkerServer.WarmupConnector {

	static final String KEY_HEADER = "X-Prefork-Warmup";

	private final Service service;

	private final Connector connector;

	private final Guard guard;

	private PrivateConnector(Service service, Connector connector, Guard guard) {
		this.service = service;
		this.connector = connector;
		this.guard = guard;
	}

	/**
	 * Opens a connector on 127.0.0.1 and an ephemeral port in the running Tomcat.
	 * @throws IllegalStateException if Tomcat cannot start it
	 */
	static PrivateConnector open(Tomcat tomcat) {
		byte[] key = new byte[32];
		new SecureRandom().nextBytes(key);
		Connector connector = new Connector(Http11NioProtocol.class.getName());
		connector.setPort(0);
		connector.setProperty("address", "127.0.0.1");
		Connector main = tomcat.getConnector();
		connector.setURIEncoding(main.getURIEncoding());
		connector.setMaxPostSize(main.getMaxPostSize());
		Guard guard = new Guard(connector, HexFormat.of().formatHex(key));
		keepOutOfAccessLogs(tomcat);
		tomcat.getEngine().getPipeline().addValve(guard);
		Service service = tomcat.getService();
		service.addConnector(connector);
		if (connector.getLocalPort() <= 0) {
			tomcat.getEngine().getPipeline().removeValve(guard);
			service.removeConnector(connector);
			throw new IllegalStateException("Tomcat could not open a loopback connector for the warm-up");
		}
		return new PrivateConnector(service, connector, guard);
	}

	/**
	 * The access logs ({@code server.tomcat.accesslog.*}) leave out requests that carry
	 * {@link WorkerServer#WARMUP_ATTRIBUTE}, unless the user gave them a condition of their own.
	 */
	private static void keepOutOfAccessLogs(Tomcat tomcat) {
		for (Valve valve : tomcat.getEngine().getPipeline().getValves()) {
			if (valve instanceof AbstractAccessLogValve accessLog && accessLog.getConditionUnless() == null) {
				accessLog.setConditionUnless(WorkerServer.WARMUP_ATTRIBUTE);
			}
		}
	}

	@Override
	public String baseUrl() {
		return "http://127.0.0.1:" + this.connector.getLocalPort();
	}

	int port() {
		return this.connector.getLocalPort();
	}

	/** The header that lets a request through. */
	@Override
	public Map<String, String> keyHeader() {
		return Map.of(KEY_HEADER, this.guard.key);
	}

	/**
	 * CPU time the request threads spent in the application for the warm-up's requests
	 * (-1 where the JVM does not measure thread CPU time): the cost of the request path,
	 * without the warm-up client's or the JIT compiler's.
	 */
	@Override
	public long applicationCpuNanos() {
		return this.guard.cpu.measured ? this.guard.cpu.nanos.sum() : -1;
	}

	/** Closes the port: from here on, nothing reaches the application through it. */
	@Override
	public void close() {
		this.service.removeConnector(this.connector);
		try {
			this.connector.destroy();
		}
		catch (LifecycleException ex) {
			// stopped and removed already; nothing listens on the port
		}
		this.guard.getContainer().getPipeline().removeValve(this.guard);
	}

	/** CPU time of the current thread, summed over calls. */
	private static final class ThreadCpu {

		private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

		final boolean measured = this.threads.isCurrentThreadCpuTimeSupported() && this.threads.isThreadCpuTimeEnabled();

		final LongAdder nanos = new LongAdder();

		long now() {
			return this.measured ? this.threads.getCurrentThreadCpuTime() : 0;
		}

		void add(long started) {
			if (this.measured) {
				this.nanos.add(this.threads.getCurrentThreadCpuTime() - started);
			}
		}

	}

	private static final class Guard extends ValveBase {

		private final Connector connector;

		private final String key;

		final ThreadCpu cpu = new ThreadCpu();

		Guard(Connector connector, String key) {
			super(true);
			this.connector = connector;
			this.key = key;
		}

		@Override
		public void invoke(Request request, Response response) throws IOException, ServletException {
			if (request.getConnector() != this.connector) {
				getNext().invoke(request, response);
			}
			else if (matches(request.getHeader(KEY_HEADER))) {
				request.setAttribute(WorkerServer.WARMUP_ATTRIBUTE, Boolean.TRUE);
				long started = this.cpu.now();
				try {
					getNext().invoke(request, response);
				}
				finally {
					this.cpu.add(started);
				}
			}
			else {
				response.sendError(HttpServletResponse.SC_FORBIDDEN);
			}
		}

		private boolean matches(String given) {
			return given != null && MessageDigest.isEqual(this.key.getBytes(StandardCharsets.US_ASCII),
					given.getBytes(StandardCharsets.US_ASCII));
		}

	}

}
