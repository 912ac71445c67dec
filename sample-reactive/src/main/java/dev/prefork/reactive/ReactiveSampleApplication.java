package dev.prefork.reactive;

import reactor.core.publisher.Mono;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * A WebFlux application on Reactor Netty, as a user has one, with the prefork starter added:
 * a functional route ({@code /hello}) and an annotated controller ({@code /whoami}). Adding
 * the starter must leave it a WebFlux application: a servlet stack on its class path would
 * answer the functional route with 404.
 */
@SpringBootApplication
@RestController
public class ReactiveSampleApplication {

	public static void main(String[] args) {
		SpringApplication.run(ReactiveSampleApplication.class, args);
	}

	@Bean
	RouterFunction<ServerResponse> hello() {
		return RouterFunctions.route().GET("/hello", (request) -> ServerResponse.ok().bodyValue("hello")).build();
	}

	@GetMapping("/whoami")
	Mono<String> whoami() {
		return Mono.just("{\"pid\":" + ProcessHandle.current().pid() + "}");
	}

}
