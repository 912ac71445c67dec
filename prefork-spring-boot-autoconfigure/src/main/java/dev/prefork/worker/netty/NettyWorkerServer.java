package dev.prefork.worker.netty;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

import dev.prefork.worker.WorkerServer;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.reactor.netty.NettyWebServer;
import org.springframework.boot.web.server.WebServer;
import org.springframework.http.server.reactive.HttpHandler;

/**
 * A worker's Reactor Netty server: it accepts from the shared socket through
 * {@link SharedSocket}, runs the heartbeat on every event loop that serves connections, and
 * is warmed up through a {@link PrivateServer}.
 */
final class NettyWorkerServer implements WorkerServer {

	private static final Log logger = LogFactory.getLog(NettyWorkerServer.class);

	/** Null in a training run, which serves its own port. */
	private final SharedSocket socket;

	private final HttpHandler application;

	NettyWorkerServer(SharedSocket socket, HttpHandler application) {
		this.socket = socket;
		this.application = application;
	}

	/** A finder of the worker's view of a Netty web server. */
	static Finder finder(SharedSocket socket, java.util.function.Supplier<HttpHandler> application) {
		return (webServer) -> (webServer instanceof NettyWebServer) ? new NettyWorkerServer(socket, application.get())
				: null;
	}

	@Override
	public void startAccepting() {
		if (this.socket != null) {
			this.socket.startAccepting();
		}
	}

	@Override
	public int drain(Duration max) {
		return (this.socket != null) ? this.socket.drain(max) : -1;
	}

	/**
	 * Runs a task once every event loop that serves connections has run its share: one loop
	 * blocked by the application (a blocking call on an event loop) and the heartbeat never
	 * comes.
	 */
	@Override
	public Executor requestExecutor() {
		EventLoopGroup loops = (this.socket != null) ? this.socket.requestLoops() : null;
		if (loops == null) {
			logger.warn("Netty's event loops not found; heartbeats only show that the JVM is alive");
			return Runnable::run;
		}
		List<EventExecutor> each = new ArrayList<>();
		loops.forEach(each::add);
		return (task) -> {
			AtomicInteger waiting = new AtomicInteger(each.size());
			for (EventExecutor loop : each) {
				loop.execute(() -> {
					if (waiting.decrementAndGet() == 0) {
						task.run();
					}
				});
			}
		};
	}

	@Override
	public WarmupConnector openWarmupConnector() {
		if (this.application == null) {
			throw new IllegalStateException("the application has no HttpHandler bean to warm up through");
		}
		return PrivateServer.open(this.application);
	}

}
