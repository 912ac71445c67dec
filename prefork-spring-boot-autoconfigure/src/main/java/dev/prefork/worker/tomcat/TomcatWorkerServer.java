package dev.prefork.worker.tomcat;

import java.time.Duration;
import java.util.concurrent.Executor;

import dev.prefork.worker.WorkerServer;
import org.apache.catalina.startup.Tomcat;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.apache.tomcat.util.threads.VirtualThreadExecutor;

import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.WebServer;

/**
 * A worker's Tomcat: it accepts from the shared socket through {@link SharedSocketNioProtocol},
 * runs the heartbeat on the connector's request thread pool, and is warmed up through a
 * {@link PrivateConnector}.
 */
final class TomcatWorkerServer implements WorkerServer {

	private static final Log logger = LogFactory.getLog(TomcatWorkerServer.class);

	private final Tomcat tomcat;

	private TomcatWorkerServer(Tomcat tomcat) {
		this.tomcat = tomcat;
	}

	/** The worker's view of a Tomcat web server; null for any other server. */
	static WorkerServer of(WebServer webServer) {
		return (webServer instanceof TomcatWebServer tomcat) ? new TomcatWorkerServer(tomcat.getTomcat()) : null;
	}

	@Override
	public void startAccepting() {
		if (this.tomcat.getConnector().getProtocolHandler() instanceof SharedSocketNioProtocol shared) {
			shared.startAccepting();
		}
	}

	@Override
	public int drain(Duration max) {
		if (!(this.tomcat.getConnector().getProtocolHandler() instanceof SharedSocketNioProtocol protocol)) {
			return -1;
		}
		long start = System.nanoTime();
		protocol.stopAccepting();
		protocol.setMaxKeepAliveRequests(1);
		long deadline = start + max.toNanos();
		// One count is the acceptor's reservation for its next connection, not a connection.
		while (protocol.getConnectionCount() > 1 && System.nanoTime() < deadline) {
			try {
				Thread.sleep(10);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
		}
		return (int) Math.max(0, protocol.getConnectionCount() - 1);
	}

	@Override
	public Executor requestExecutor() {
		Executor executor = this.tomcat.getConnector().getProtocolHandler().getExecutor();
		if (executor != null) {
			return executor;
		}
		logger.warn("Tomcat's request thread pool not found; heartbeats only show that the JVM is alive");
		return Runnable::run;
	}

	@Override
	public boolean runsRequestsOnVirtualThreads() {
		return this.tomcat.getConnector().getProtocolHandler().getExecutor() instanceof VirtualThreadExecutor;
	}

	@Override
	public WarmupConnector openWarmupConnector() {
		return PrivateConnector.open(this.tomcat);
	}

}
