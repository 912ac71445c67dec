package dev.prefork.os;

import java.time.Duration;

/**
 * At most {@code permits} events per window (a fixed window, which is all that a flood
 * from a misbehaving worker needs). Thread-safe.
 */
final class RateLimit {

	private final int permits;

	private final long windowNanos;

	private long windowStart = System.nanoTime();

	private int used;

	RateLimit(int permits, Duration window) {
		this.permits = permits;
		this.windowNanos = window.toNanos();
	}

	synchronized boolean tryAcquire() {
		long now = System.nanoTime();
		if (now - this.windowStart >= this.windowNanos) {
			this.windowStart = now;
			this.used = 0;
		}
		if (this.used < this.permits) {
			this.used++;
			return true;
		}
		return false;
	}

}
