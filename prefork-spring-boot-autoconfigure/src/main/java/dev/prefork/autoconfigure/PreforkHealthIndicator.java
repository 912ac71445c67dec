package dev.prefork.autoconfigure;

import dev.prefork.master.Master;
import dev.prefork.master.MasterState;
import dev.prefork.master.MasterStatus;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * The master is healthy while at least {@code prefork.min-ready-workers} workers are ready
 * (the value of the last reload, as the master's status shows it).
 */
class PreforkHealthIndicator extends AbstractHealthIndicator {

	private final Master master;

	PreforkHealthIndicator(Master master) {
		this.master = master;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		MasterStatus status = this.master.status();
		if (status.state() == MasterState.STOPPING || status.state() == MasterState.STOPPED) {
			builder.outOfService();
		}
		else if (status.readyWorkers() >= status.minReadyWorkers()) {
			builder.up();
		}
		else {
			builder.down();
		}
		builder.withDetail("state", status.state())
			.withDetail("readyWorkers", status.readyWorkers())
			.withDetail("minReadyWorkers", status.minReadyWorkers())
			.withDetail("targetWorkers", status.targetWorkers());
	}

}
