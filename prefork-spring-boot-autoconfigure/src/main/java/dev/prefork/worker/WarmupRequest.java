package dev.prefork.worker;

import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;

/**
 * A warm-up request as a reactive server's private entrance hands it to the application
 * (Netty): the mark by which the application's observations and the request counting leave it out.
 */
public final class WarmupRequest extends ServerHttpRequestDecorator {

	public WarmupRequest(ServerHttpRequest delegate) {
		super(delegate);
	}

}
