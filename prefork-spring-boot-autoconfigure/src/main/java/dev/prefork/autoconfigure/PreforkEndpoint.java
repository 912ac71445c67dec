package dev.prefork.autoconfigure;

import dev.prefork.master.Master;
import dev.prefork.master.MasterStatus;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * {@code /actuator/prefork} on the master: the master and its workers.
 */
@Endpoint(id = "prefork")
public class PreforkEndpoint {

	private final Master master;

	public PreforkEndpoint(Master master) {
		this.master = master;
	}

	@ReadOperation
	public MasterStatus status() {
		return this.master.status();
	}

}
