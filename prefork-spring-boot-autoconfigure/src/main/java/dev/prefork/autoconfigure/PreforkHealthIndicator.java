package dev.prefork.autoconfigure;

import dev.prefork.master.Master;
import dev.prefork.master.MasterState;
import dev.prefork.master.MasterStatus;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The master is healthy while at least {@code prefork.min-ready-workers} workers are ready.
 */
class PreforkHealthIndicator extends AbstractHealthIndicator {

	private final Master master;

	private final int minReadyWorkers;

	PreforkHealthIndicator(Master master, int minReadyWorkers) {
		this.master = master;
		this.minReadyWorkers = minReadyWorkers;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		MasterStatus status = this.master.status();
		if (status.state() == MasterState.STOPPING || status.state() == MasterState.STOPPED) {
			builder.outOfService();
		}
		else if (status.readyWorkers() >= this.minReadyWorkers) {
			builder.up();
		}
		else {
			builder.down();
		}
		builder.withDetail("state", status.state())
			.withDetail("readyWorkers", status.readyWorkers())
			.withDetail("minReadyWorkers", this.minReadyWorkers)
			.withDetail("targetWorkers", status.targetWorkers());
	}

}
