package dev.prefork.worker;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Requests served and in flight in this worker, reported to the master with every
 * heartbeat.
 */
public final class WorkerRequestStats {

	private final LongAdder served = new LongAdder();

	private final AtomicInteger inflight = new AtomicInteger();

	void started() {
		this.inflight.incrementAndGet();
	}

	void finished() {
		this.inflight.decrementAndGet();
		this.served.increment();
	}

	public long served() {
		return this.served.sum();
	}

	public int inflight() {
		return this.inflight.get();
	}

}
