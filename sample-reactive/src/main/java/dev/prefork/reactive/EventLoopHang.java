package dev.prefork.reactive;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import reactor.core.publisher.Mono;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * An endpoint the integration tests need, off unless {@code sample.test-endpoints=true}; Netty's
 * only (the Tomcat and Jetty builds of this sample leave it out).
 */
@RestController
@ConditionalOnBooleanProperty("sample.test-endpoints")
class EventLoopHang {

	private final int slot;

	EventLoopHang(@Value("${prefork.worker.slot:-1}") int slot) {
		this.slot = slot;
	}

	/**
	 * Hangs the event loop that serves this request, once the answer is written: as if the
	 * application called a blocking service on it. Its connections, and the worker's
	 * heartbeat, never run again.
	 */
	@PostMapping("/hang")
	Mono<Map<String, Object>> hang() {
		EventExecutor loop = ThreadExecutorMap.currentExecutor();
		if (loop == null) {
			throw new ResponseStatusException(HttpStatus.NOT_IMPLEMENTED, "not on a Netty event loop");
		}
		loop.schedule(() -> {
			while (true) {
				Thread.onSpinWait();
			}
		}, 200, TimeUnit.MILLISECONDS);
		return Mono.just(Map.of("pid", ProcessHandle.current().pid(), "worker", this.slot, "hung", loop.toString()));
	}

}
