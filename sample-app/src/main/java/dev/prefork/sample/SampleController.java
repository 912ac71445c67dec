package dev.prefork.sample;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * Endpoints to see which worker answered and to hold requests; the ones that harm the worker
 * are in {@link TestEndpoints}.
 */
@RestController
class SampleController {

	static final long MAX_SLEEP_MILLIS = 60_000;

	private final int slot;

	private final int generation;

	SampleController(@Value("${prefork.worker.slot:-1}") int slot,
			@Value("${prefork.worker.generation:0}") int generation) {
		this.slot = slot;
		this.generation = generation;
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

}
