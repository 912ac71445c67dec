package dev.prefork.reactive;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import reactor.core.publisher.Mono;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ResponseStatusException;

/**
 * A WebFlux application on Reactor Netty, as a user has one, with the prefork starter added
 * (the same sources make {@code sample-reactive-tomcat} and {@code sample-reactive-jetty}):
 * a functional route ({@code /hello}) and annotated endpoints ({@code /whoami}, {@code /sleep})
 * that answer as the servlet sample's do. Adding the starter must leave it a WebFlux
 * application: a servlet stack on its class path would answer the functional route with 404.
 */
@SpringBootApplication
@RestController
public class ReactiveSampleApplication {

	static final long MAX_SLEEP_MILLIS = 60_000;

	private final int slot;

	private final int generation;

	/** Requests /whoami served in this JVM, warm-up included. */
	private final AtomicLong whoamiServed = new AtomicLong();

	/**
	 * @param creationLog a file to which every process that creates this bean appends its pid
	 * (the prefork master must never create it)
	 */
	ReactiveSampleApplication(@Value("${prefork.worker.slot:-1}") int slot,
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
		SpringApplication.run(ReactiveSampleApplication.class, args);
	}

	/**
	 * The application's own (reactive) health component {@code sample}: DOWN while the file
	 * {@code sample.health.down-file} names exists.
	 */
	@Bean
	ReactiveHealthIndicator sampleHealthIndicator(@Value("${sample.health.down-file:}") String downFile) {
		return () -> Mono.fromSupplier(() -> {
			boolean down = !downFile.isEmpty() && Files.exists(Path.of(downFile));
			return (down ? Health.down() : Health.up()).withDetail("pid", ProcessHandle.current().pid()).build();
		});
	}

	@Bean
	RouterFunction<ServerResponse> hello() {
		return RouterFunctions.route().GET("/hello", (request) -> ServerResponse.ok().bodyValue("hello")).build();
	}

	/** Which worker answered, and how many /whoami requests it served before this one. */
	@GetMapping("/whoami")
	Mono<Map<String, Object>> whoami() {
		return Mono.fromSupplier(() -> Map.of("pid", ProcessHandle.current().pid(), "worker", this.slot, "generation",
				this.generation, "servedBefore", this.whoamiServed.getAndIncrement()));
	}

	/** Answers after a delay that blocks no thread: a request in flight for that long. */
	@GetMapping("/sleep")
	Mono<Map<String, Object>> sleep(@RequestParam long ms) {
		if (ms < 0 || ms > MAX_SLEEP_MILLIS) {
			throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "ms must be between 0 and " + MAX_SLEEP_MILLIS);
		}
		return Mono.delay(Duration.ofMillis(ms))
			.map((tick) -> Map.of("pid", ProcessHandle.current().pid(), "worker", this.slot, "slept", ms));
	}

}
