package dev.prefork.sample;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.servlet.http.HttpServletRequest;

import dev.prefork.worker.PreforkControl;
import org.apache.tomcat.util.threads.ThreadPoolExecutor;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * Endpoints to see which worker answered, to hold requests, and to hang a worker.
 */
@RestController
class SampleController {

	static final long MAX_SLEEP_MILLIS = 60_000;

	private final int slot;

	private final int generation;

	private final WebServerApplicationContext context;

	private final PreforkControl prefork;

	SampleController(@Value("${prefork.worker.slot:-1}") int slot,
			@Value("${prefork.worker.generation:0}") int generation, WebServerApplicationContext context,
			PreforkControl prefork) {
		this.slot = slot;
		this.generation = generation;
		this.context = context;
		this.prefork = prefork;
	}

	/** Requests /whoami served in this JVM, warm-up included. */
	private final AtomicLong whoamiServed = new AtomicLong();

	/** Of which came with an Authorization or Cookie header, or a query string. */
	private final AtomicLong whoamiWithCredentials = new AtomicLong();

	/**
	 * Which worker answered, and how many /whoami requests it served before this one: the
	 * first client request to a warmed-up worker sees its warm-up requests counted.
	 */
	@GetMapping("/whoami")
	Map<String, Object> whoami(HttpServletRequest request) {
		long before = this.whoamiServed.getAndIncrement();
		long credentialsBefore = this.whoamiWithCredentials.get();
		if (request.getHeader("Authorization") != null || request.getHeader("Cookie") != null
				|| request.getQueryString() != null) {
			this.whoamiWithCredentials.incrementAndGet();
		}
		return Map.of("pid", ProcessHandle.current().pid(), "worker", this.slot, "generation", this.generation,
				"servedBefore", before, "withCredentialsBefore", credentialsBefore);
	}

	/** Always 500: a broken page, for a warm-up that must fail. */
	@GetMapping("/broken")
	Map<String, Object> broken() {
		throw new ResponseStatusException(HttpStatus.INTERNAL_SERVER_ERROR, "broken on purpose");
	}

	@GetMapping("/sleep")
	Map<String, Object> sleep(@RequestParam long ms) throws InterruptedException {
		if (ms < 0 || ms > MAX_SLEEP_MILLIS) {
			throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "ms must be between 0 and " + MAX_SLEEP_MILLIS);
		}
		Thread.sleep(ms);
		return Map.of("pid", ProcessHandle.current().pid(), "worker", this.slot, "slept", ms);
	}

	/**
	 * Leaves an orphan behind: a shell that starts {@code sleep} in the background and exits,
	 * so the sleep is reparented to PID 1 or the nearest subreaper (the master).
	 */
	@PostMapping("/orphan")
	Map<String, Object> orphan() throws java.io.IOException, InterruptedException {
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
	private static final java.util.List<java.nio.ByteBuffer> held = new java.util.concurrent.CopyOnWriteArrayList<>();

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
			held.add(java.nio.ByteBuffer.allocateDirect(1024 * 1024));
		}
		return Map.of("pid", ProcessHandle.current().pid(), "worker", this.slot, "heldMiB", held.size());
	}

	/**
	 * Hangs the worker that receives this request: every request thread of its Tomcat
	 * blocks forever, as if all were stuck on a dead downstream service.
	 */
	@PostMapping("/hang")
	Map<String, Object> hang() {
		if (!(this.context.getWebServer() instanceof TomcatWebServer tomcat)
				|| !(tomcat.getTomcat().getConnector().getProtocolHandler().getExecutor()
						instanceof ThreadPoolExecutor pool)) {
			throw new ResponseStatusException(HttpStatus.NOT_IMPLEMENTED, "Cannot find Tomcat's thread pool");
		}
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

}
