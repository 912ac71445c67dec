package dev.prefork.worker.jetty;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.SelectableChannel;

import org.eclipse.jetty.io.SelectorManager;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Jetty's connector on the master's socket (fd 0, {@code System.inheritedChannel()}): it
 * accepts on its selectors, never in a blocking acceptor thread, so that a worker that stops
 * accepting has no thread left inside {@code accept()} to take one more client; it accepts
 * nothing until {@link #startAccepting()} (the worker's warm-up), and nothing once
 * {@link #stopAccepting()} ran, even before the selector drops the socket.
 */
final class SharedSocketConnector extends ServerConnector {

	private static final Closeable NOT_ACCEPTING = () -> {
	};

	private volatile boolean accepting;

	/**
	 * @param server the server
	 * @param selectors the selector threads of the connector it replaces
	 * @param factories the connection factories of the connector it replaces (HTTP, TLS)
	 */
	SharedSocketConnector(Server server, int selectors, ConnectionFactory... factories) {
		super(server, null, null, null, 0, selectors, factories);
		setInheritChannel(true);
	}

	@Override
	protected SelectorManager newSelectorManager(java.util.concurrent.Executor executor, Scheduler scheduler,
			int selectors) {
		return new GatedManager(executor, scheduler, selectors);
	}

	/** Takes connections from the shared socket from now on. */
	void startAccepting() {
		this.accepting = true;
		setAccepting(false); // drops the placeholder the connector started with
		setAccepting(true);
	}

	/** Takes no more connection, at once. */
	void stopAccepting() {
		this.accepting = false;
		setAccepting(false);
	}

	private final class GatedManager extends ServerConnectorManager {

		GatedManager(java.util.concurrent.Executor executor, Scheduler scheduler, int selectors) {
			super(executor, scheduler, selectors);
		}

		@Override
		public Closeable acceptor(SelectableChannel server) {
			return SharedSocketConnector.this.accepting ? super.acceptor(server) : NOT_ACCEPTING;
		}

		@Override
		protected SelectableChannel doAccept(SelectableChannel server) throws IOException {
			return SharedSocketConnector.this.accepting ? super.doAccept(server) : null;
		}

	}

}
