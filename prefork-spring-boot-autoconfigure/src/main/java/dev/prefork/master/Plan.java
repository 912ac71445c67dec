package dev.prefork.master;

/**
 * What the master keeps running: its workers' settings, generation and count. A reload
 * replaces all three (and puts them back if it fails); scaling changes the count. Owned by the
 * master thread.
 */
final class Plan {

	MasterSettings settings;

	/** The generation new workers are started in. */
	int generation = 1;

	int targetWorkers;

	/** All workers were stopped on purpose (WINCH): a reload or the upgrade's end starts them again. */
	boolean workersStopped;

	Plan(MasterSettings settings) {
		this.settings = settings;
		this.targetWorkers = settings.workers();
	}

}
