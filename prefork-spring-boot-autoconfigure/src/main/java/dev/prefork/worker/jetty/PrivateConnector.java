package dev.prefork.worker.jetty;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

import dev.prefork.worker.WorkerServer;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.RequestLog;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A second Jetty connector, on a loopback port of its own, through which a worker warms
 * itself up before it takes connections from the shared socket: its requests go through the
 * same handlers, filters and servlets as the clients'. Open only while the warm-up runs;
 * {@link WorkerHandler} lets through only requests with the key the warm-up client sends.
 */
final class PrivateConnector implements WorkerServer.WarmupConnector {

	static final String KEY_HEADER = "X-Prefork-Warmup";

	/** The warm-up connector's name, by which the request log knows its requests. */
	private static final String NAME = "prefork-warmup";

	private final Server server;

	private final ServerConnector connector;

	private final WorkerHandler handler;

	private final String key;

	private PrivateConnector(Server server, ServerConnector connector, WorkerHandler handler, String key) {
		this.server = server;
		this.connector = connector;
		this.handler = handler;
		this.key = key;
	}

	static PrivateConnector open(Server server, WorkerHandler handler) {
		byte[] secret = new byte[32];
		new SecureRandom().nextBytes(secret);
		String key = HexFormat.of().formatHex(secret);
		// plain HTTP/1.1 with the application's HTTP configuration: the warm-up client speaks nothing else
		HttpConnectionFactory http = null;
		for (org.eclipse.jetty.server.Connector connector : server.getConnectors()) {
			HttpConnectionFactory found = connector.getConnectionFactory(HttpConnectionFactory.class);
			if (found != null) {
				http = new HttpConnectionFactory(found.getHttpConfiguration());
				break;
			}
		}
		ServerConnector connector = new ServerConnector(server, 0, 1,
				new ConnectionFactory[] { (http != null) ? http : new HttpConnectionFactory() });
		connector.setHost("127.0.0.1");
		connector.setPort(0);
		connector.setName(NAME);
		keepOutOfRequestLog(server);
		handler.warmUpThrough(connector, key);
		try {
			server.addConnector(connector);
			connector.start();
		}
		catch (Exception ex) {
			server.removeConnector(connector);
			handler.warmupEnded();
			throw new IllegalStateException("Cannot open a loopback port for the warm-up: " + ex.getMessage(), ex);
		}
		return new PrivateConnector(server, connector, handler, key);
	}

	/**
	 * The application's request log ({@code server.jetty.accesslog.*}) leaves out the requests
	 * of the warm-up's connector.
	 */
	private static void keepOutOfRequestLog(Server server) {
		RequestLog log = server.getRequestLog();
		if (log != null && !(log instanceof WithoutWarmup)) {
			server.setRequestLog(new WithoutWarmup(log));
		}
	}

	private record WithoutWarmup(RequestLog log) implements RequestLog {

		@Override
		public void log(Request request, Response response) {
			if (!NAME.equals(request.getConnectionMetaData().getConnector().getName())) {
				this.log.log(request, response);
			}
		}

	}

	@Override
	public String baseUrl() {
		return "http://127.0.0.1:" + this.connector.getLocalPort();
	}

	@Override
	public Map<String, String> keyHeader() {
		return Map.of(KEY_HEADER, this.key);
	}

	@Override
	public long applicationCpuNanos() {
		return -1;
	}

	@Override
	public void close() {
		try {
			this.connector.stop();
		}
		catch (Exception ex) {
			// closing the port is what matters: it is closed by now or at the worker's exit
		}
		this.server.removeConnector(this.connector);
		this.handler.warmupEnded();
	}

}
