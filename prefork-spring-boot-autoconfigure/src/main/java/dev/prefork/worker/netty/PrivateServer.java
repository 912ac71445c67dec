package dev.prefork.worker.netty;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

import dev.prefork.worker.WarmupRequest;
import dev.prefork.worker.WorkerServer;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;

/**
 * A second Reactor Netty server, on a loopback port of its own, through which a worker warms
 * itself up before it takes connections from the shared socket. Its requests go to the
 * application's own {@link HttpHandler}, through the same web filters and handlers as the
 * clients'; the warm-up's requests carry {@link WorkerServer#WARMUP_ATTRIBUTE} in their
 * Reactor context, so they are neither counted nor recorded. It is open only while the
 * warm-up runs, and answers 403 to any request without the key the warm-up client sends.
 */
final class PrivateServer implements WorkerServer.WarmupConnector {

	static final String KEY_HEADER = "X-Prefork-Warmup";

	private final DisposableServer server;

	private final String key;

	private PrivateServer(DisposableServer server, String key) {
		this.server = server;
		this.key = key;
	}

	static PrivateServer open(HttpHandler application) {
		byte[] secret = new byte[32];
		new SecureRandom().nextBytes(secret);
		String key = HexFormat.of().formatHex(secret);
		byte[] expected = key.getBytes(StandardCharsets.US_ASCII);
		HttpHandler guarded = (ServerHttpRequest request, ServerHttpResponse response) -> {
			String sent = request.getHeaders().getFirst(KEY_HEADER);
			if (sent == null || !MessageDigest.isEqual(expected, sent.getBytes(StandardCharsets.US_ASCII))) {
				response.setStatusCode(HttpStatus.FORBIDDEN);
				return response.setComplete();
			}
			return application.handle(new WarmupRequest(request), response)
				.contextWrite((context) -> context.put(WorkerServer.WARMUP_ATTRIBUTE, Boolean.TRUE));
		};
		try {
			DisposableServer server = HttpServer.create()
				// -Dreactor.netty.http.server.accessLogEnabled=true is for the clients' requests
				.accessLog(false)
				.bindAddress(() -> new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
				.handle(new ReactorHttpHandlerAdapter(guarded))
				.bindNow();
			return new PrivateServer(server, key);
		}
		catch (RuntimeException ex) {
			throw new IllegalStateException("Cannot open a loopback port for the warm-up: " + ex.getMessage(), ex);
		}
	}

	@Override
	public String baseUrl() {
		return "http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + this.server.port();
	}

	@Override
	public Map<String, String> keyHeader() {
		return Map.of(KEY_HEADER, this.key);
	}

	@Override
	public long applicationCpuNanos() {
		return -1;
	}

	@Override
	public void close() {
		this.server.disposeNow();
	}

}
