package dev.prefork.jetty;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.jetty.util.thread.ThreadPool;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.jetty.JettyWebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * A Spring MVC application on Jetty (Tomcat excluded, {@code spring-boot-starter-jetty}
 * added, as Spring Boot's documentation says), with the prefork starter added: the endpoints
 * the integration tests use, answering as the Tomcat sample's do.
 */
@SpringBootApplication
@RestController
public class JettySampleApplication {

	static final long MAX_SLEEP_MILLIS = 60_000;

	private final int slot;

	private final int generation;

	/** Requests /whoami served in this JVM, warm-up included. */
	private final AtomicLong whoamiServed = new AtomicLong();

	/**
	 * @param creationLog a file to which every process that creates this bean appends its pid
	 * (the prefork master must never create it)
	 */
	JettySampleApplication(@Value("${prefork.worker.slot:-1}") int slot,
			@Value("${prefork.worker.generation:0}") int generation, @Value("${sample.creation-log:}") String creationLog)
			throws IOException {
		this.slot = slot;
		this.generation = generation;
		if (!creationLog.isEmpty()) {
			Files.writeString(Path.of(creationLog), ProcessHandle.current().pid() + "\n", StandardOpenOption.CREATE,
					StandardOpenOption.APPEND);
		}
	}

	public static void main(String[] args) {
		SpringApplication.run(JettySampleApplication.class, args);
	}

	/** Which worker answered, and how many /whoami requests it served before this one. */
	@GetMapping("/whoami")
	Map<String, Object> whoami() {
		return Map.of("pid", ProcessHandle.current().pid(), "worker", this.slot, "generation", this.generation,
				"servedBefore", this.whoamiServed.getAndIncrement());
	}

	@GetMapping("/sleep")
	Map<String, Object> sleep(@RequestParam long ms) throws InterruptedException {
		if (ms < 0 || ms > MAX_SLEEP_MILLIS) {
			throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "ms must be between 0 and " + MAX_SLEEP_MILLIS);
		}
		Thread.sleep(ms);
		return Map.of("pid", ProcessHandle.current().pid(), "worker", this.slot, "slept", ms);
	}

	/** Endpoints the integration tests need; off unless {@code sample.test-endpoints=true}. */
	@RestController
	@ConditionalOnBooleanProperty("sample.test-endpoints")
	static class TestEndpoints {

		private final int slot;

		private final WebServerApplicationContext context;

		TestEndpoints(@Value("${prefork.worker.slot:-1}") int slot, WebServerApplicationContext context) {
			this.slot = slot;
			this.context = context;
		}

		/** Hangs the worker that receives this request: every thread of Jetty's pool blocks forever. */
		@PostMapping("/hang")
		Map<String, Object> hang() {
			if (!(this.context.getWebServer() instanceof JettyWebServer jetty)
					|| !(jetty.getServer().getThreadPool() instanceof ThreadPool.SizedThreadPool pool)) {
				throw new ResponseStatusException(HttpStatus.NOT_IMPLEMENTED, "Cannot find Jetty's thread pool");
			}
			CountDownLatch never = new CountDownLatch(1);
			for (int i = 0; i < pool.getMaxThreads(); i++) {
				pool.execute(() -> {
					try {
						never.await();
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
				});
			}
			return Map.of("pid", ProcessHandle.current().pid(), "worker", this.slot, "hung", pool.getMaxThreads());
		}

	}

}
