package dev.prefork.worker.jetty;

import java.time.Duration;
import java.util.concurrent.Executor;

import dev.prefork.worker.WorkerServer;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.thread.VirtualThreadPool;

import org.springframework.boot.jetty.JettyWebServer;
import org.springframework.boot.web.server.WebServer;

/**
 * A worker's Jetty: it accepts from the shared socket through {@link SharedSocketConnector},
 * runs the heartbeat on Jetty's request thread pool, and is warmed up through a
 * {@link PrivateConnector}; {@link WorkerHandler} drains and guards the warm-up.
 */
final class JettyWorkerServer implements WorkerServer {

	private final Server server;

	private final WorkerHandler handler;

	private JettyWorkerServer(Server server, WorkerHandler handler) {
		this.server = server;
		this.handler = handler;
	}

	/** The worker's view of a Jetty web server whose handler prefork wrapped; null for any other server. */
	static WorkerServer of(WebServer webServer) {
		if (webServer instanceof JettyWebServer jetty) {
			WorkerHandler handler = jetty.getServer().getDescendant(WorkerHandler.class);
			return (handler != null) ? new JettyWorkerServer(jetty.getServer(), handler) : null;
		}
		return null;
	}

	private SharedSocketConnector shared() {
		for (Connector connector : this.server.getConnectors()) {
			if (connector instanceof SharedSocketConnector shared) {
				return shared;
			}
		}
		return null;
	}

	@Override
	public void startAccepting() {
		SharedSocketConnector shared = shared();
		if (shared != null) {
			shared.startAccepting();
		}
	}

	@Override
	public int drain(Duration max) {
		SharedSocketConnector shared = shared();
		if (shared == null) {
			return -1;
		}
		shared.stopAccepting();
		this.handler.drain();
		long deadline = System.nanoTime() + max.toNanos();
		while (!shared.getConnectedEndPoints().isEmpty() && System.nanoTime() < deadline) {
			try {
				Thread.sleep(10);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
		}
		return shared.getConnectedEndPoints().size();
	}

	@Override
	public Executor requestExecutor() {
		return this.server.getThreadPool();
	}

	@Override
	public boolean runsRequestsOnVirtualThreads() {
		return this.server.getThreadPool() instanceof VirtualThreadPool;
	}

	@Override
	public WarmupConnector openWarmupConnector() {
		return PrivateConnector.open(this.server, this.handler);
	}

}
