package dev.prefork.sample;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.stereotype.Component;

/**
 * Application meters that clash with the master's scrape, as real applications' meters do
 * ({@code sample.clashing-meters=true}): a {@code worker} tag of the application's own (a job
 * worker's name), a name of the master's {@code prefork_} meters, and a meter whose type
 * differs between workers. None of them may make the master's scrape invalid.
 */
@Component
@ConditionalOnBooleanProperty("sample.clashing-meters")
class ClashingMeters {

	ClashingMeters(MeterRegistry registry) {
		Counter.builder("sample.jobs").tag("worker", "mailer").register(registry).increment(3);
		Gauge.builder("prefork.workers", () -> 99).tag("state", "ready").register(registry);
		if ("0".equals(System.getenv("PREFORK_WORKER_SLOT"))) {
			Gauge.builder("sample.shape", () -> 1).register(registry);
		}
		else {
			DistributionSummary.builder("sample.shape").register(registry).record(1);
		}
	}

}
