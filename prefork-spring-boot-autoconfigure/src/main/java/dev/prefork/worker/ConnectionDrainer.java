package dev.prefork.worker;

import java.time.Duration;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.ApplicationContext;
import org.springframework.context.SmartLifecycle;

/**
 * The first step of a worker's graceful stop, before Spring's graceful shutdown: stop
 * taking connections from the shared socket, and have every keep-alive connection close
 * after its next response ({@code Connection: close}), so clients reconnect to the other
 * workers instead of sending a request into a connection that is about to close. The
 * server does both ({@link WorkerServer#drain}).
 */
class ConnectionDrainer implements SmartLifecycle {

	private static final Log logger = LogFactory.getLog(ConnectionDrainer.class);

	/** At most this long waiting for keep-alive connections to close. */
	static final Duration MAX_DRAIN = Duration.ofSeconds(5);

	private final ApplicationContext context;

	private final Duration maxDrain;

	private volatile boolean running;

	ConnectionDrainer(ApplicationContext context, Duration gracefulTimeout) {
		this.context = context;
		this.maxDrain = (gracefulTimeout.compareTo(MAX_DRAIN.multipliedBy(2)) < 0) ? gracefulTimeout.dividedBy(2)
				: MAX_DRAIN;
	}

	@Override
	public void start() {
		this.running = true;
	}

	@Override
	public void stop() {
		this.running = false;
		if (WorkerAgent.isQuickExit()) {
			return;
		}
		WorkerServer server = WorkerAgent.server(this.context);
		if (server == null) {
			return;
		}
		long start = System.nanoTime();
		int open = server.drain(this.maxDrain);
		if (open < 0) {
			return;
		}
		logger.info("Stopped accepting; keep-alive connections drained in "
				+ Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms (" + open + " still open)");
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		// Stops just before the web server's graceful shutdown.
		return WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE + 1;
	}

}
