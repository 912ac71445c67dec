package dev.prefork.sample;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;

import dev.prefork.worker.PreforkControl;
import org.apache.tomcat.util.threads.ThreadPoolExecutor;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * Endpoints that harm the worker or the master on purpose, for the integration tests: a
 * reload asked for by application code, an orphaned process, a native memory leak, a hung
 * worker. Anyone who reaches the port could use them, so they exist only with
 * {@code sample.test-endpoints=true}.
 */
@RestController
@ConditionalOnBooleanProperty("sample.test-endpoints")
class TestEndpoints {

	private final int slot;

	private final WebServerApplicationContext context;

	private final PreforkControl prefork;

	TestEndpoints(@Value("${prefork.worker.slot:-1}") int slot, WebServerApplicationContext context,
			PreforkControl prefork) {
		this.slot = slot;
		this.context = context;
		this.prefork = prefork;
	}

	/**
	 * Leaves an orphan behind: a shell that starts {@code sleep} in the background and exits,
	 * so the sleep is reparented to PID 1 or the nearest subreaper (the master).
	 */
	@PostMapping("/orphan")
	Map<String, Object> orphan() throws IOException, InterruptedException {
		Process shell = new ProcessBuilder("sh", "-c", "sleep 1 > /dev/null 2>&1 & echo $!").start();
		String orphan = new String(shell.getInputStream().readAllBytes()).trim();
		shell.waitFor();
		return Map.of("pid", ProcessHandle.current().pid(), "orphan", Long.parseLong(orphan));
	}

	/** Asks the master for a reload from application code, as {@code uwsgi.reload()} does. */
	@PostMapping("/admin/reload")
	Map<String, Object> reload() {
		this.prefork.reload();
		return Map.of("pid", ProcessHandle.current().pid(), "reloadRequested", this.prefork.isUnderMaster());
	}

	/** Memory this worker was asked to hold (POST /allocate): a leak on purpose. */
	private static final List<ByteBuffer> held = new CopyOnWriteArrayList<>();

	/**
	 * Leaks {@code mib} MiB of native memory (direct buffers, zeroed, so every page is
	 * resident) and keeps it: what a worker that leaks outside its heap looks like to the
	 * kernel. Direct memory is capped by -XX:MaxDirectMemorySize (the max heap by default).
	 */
	@PostMapping("/allocate")
	Map<String, Object> allocate(@RequestParam int mib) {
		if (mib < 1 || mib > 64 * 1024) {
			throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "mib must be between 1 and 65536");
		}
		for (int i = 0; i < mib; i++) {
			held.add(ByteBuffer.allocateDirect(1024 * 1024));
		}
		return Map.of("pid", ProcessHandle.current().pid(), "worker", this.slot, "heldMiB", held.size());
	}

	/**
	 * Hangs the worker that receives this request: every request thread of its Tomcat
	 * blocks forever, as if all were stuck on a dead downstream service. With virtual threads
	 * ({@code spring.threads.virtual.enabled=true}), every carrier of the scheduler spins
	 * instead, half a second after this answer (a virtual thread that never blocks keeps its
	 * carrier): no virtual thread, no request, runs on this worker again.
	 */
	@PostMapping("/hang")
	Map<String, Object> hang() {
		Executor executor = (this.context.getWebServer() instanceof TomcatWebServer tomcat)
				? tomcat.getTomcat().getConnector().getProtocolHandler().getExecutor() : null;
		if (executor instanceof ThreadPoolExecutor pool) {
			CountDownLatch never = new CountDownLatch(1);
			for (int i = 0; i < pool.getMaximumPoolSize(); i++) {
				pool.execute(() -> {
					try {
						never.await();
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
				});
			}
			return Map.of("pid", ProcessHandle.current().pid(), "worker", this.slot, "hung", pool.getMaximumPoolSize());
		}
		if (executor == null || !executor.getClass().getSimpleName().contains("VirtualThread")) {
			throw new ResponseStatusException(HttpStatus.NOT_IMPLEMENTED, "Cannot find Tomcat's request threads");
		}
		int carriers = Integer.getInteger("jdk.virtualThreadScheduler.parallelism",
				Runtime.getRuntime().availableProcessors());
		for (int i = 0; i < carriers; i++) {
			executor.execute(() -> {
				try {
					Thread.sleep(500);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
				while (true) {
					Thread.onSpinWait();
				}
			});
		}
		return Map.of("pid", ProcessHandle.current().pid(), "worker", this.slot, "hung", carriers);
	}

}
