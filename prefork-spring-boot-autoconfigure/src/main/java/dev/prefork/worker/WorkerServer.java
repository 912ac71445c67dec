package dev.prefork.worker;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;

import org.springframework.boot.web.server.WebServer;

/**
 * What a worker needs from the web server that serves the master's socket. Each server has
 * its own package under {@code dev.prefork.worker} ({@code tomcat}) with an implementation and
 * an auto-configuration that registers its {@link Finder}; the worker's agent talks to this
 * contract only.
 */
public interface WorkerServer {

	/**
	 * Request attribute (servlet) or Reactor context key (WebFlux) a server sets on the warm-up's
	 * requests: not counted as served, not recorded.
	 */
	String WARMUP_ATTRIBUTE = "dev.prefork.warmup";

	/**
	 * Starts taking connections from the shared socket: until then (the worker's warm-up) the
	 * other workers take them.
	 */
	void startAccepting();

	/**
	 * Stops taking connections from the shared socket and has every keep-alive connection
	 * close after its next response, then waits for them to close.
	 * @param max the longest wait
	 * @return the connections still open, or -1 if this server cannot drain
	 */
	int drain(Duration max);

	/**
	 * Where requests run: the heartbeat runs there, so a worker whose request threads are
	 * all stuck sends none.
	 * @return the executor; one that runs a task at once if the server has none
	 */
	Executor requestExecutor();

	/**
	 * Whether requests run on virtual threads ({@code spring.threads.virtual.enabled}): then
	 * requests that finish prove the worker serves while the heartbeat's probe waits its turn
	 * (see {@link Heartbeat}).
	 */
	default boolean runsRequestsOnVirtualThreads() {
		return false;
	}

	/**
	 * Opens a private entrance on a loopback port through the server's own handler chain,
	 * for the warm-up.
	 * @return the open entrance
	 * @throws IllegalStateException if the server cannot open it
	 */
	WarmupConnector openWarmupConnector();

	/**
	 * A loopback port of the server's own, open while the warm-up runs, that lets through
	 * only requests with its key.
	 */
	interface WarmupConnector extends AutoCloseable {

		/** @return such as {@code http://127.0.0.1:41234} */
		String baseUrl();

		/** @return the header that lets a request through */
		Map<String, String> keyHeader();

		/**
		 * @return CPU time the request threads spent in the application for the warm-up's
		 * requests, or -1 where it is not measured
		 */
		long applicationCpuNanos();

		/** Closes the port: from here on, nothing reaches the application through it. */
		@Override
		void close();

	}

	/** Finds this server's side of an application's web server: a bean per server package. */
	@FunctionalInterface
	interface Finder {

		/**
		 * @param webServer the application's web server, or null
		 * @return the worker's view of it, or null if it is not this finder's kind of server
		 */
		WorkerServer find(WebServer webServer);

	}

}
