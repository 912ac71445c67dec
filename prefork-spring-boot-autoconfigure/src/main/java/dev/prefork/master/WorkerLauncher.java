package dev.prefork.master;

import java.io.IOException;
import java.util.Collection;
import java.util.function.Consumer;

/**
 * Starts worker processes: the master's boundary to the operating system.
 */
public interface WorkerLauncher {

	/**
	 * Starts one worker. From then on the launcher reports the worker's {@code READY},
	 * heartbeats and exit to {@code events}, each tagged with {@code spec.id()}.
	 * @param spec which worker to start
	 * @param events where the worker's messages and exit go
	 * @return the started process
	 * @throws IOException if the process could not be started
	 */
	ChildProcess launch(WorkerSpec spec, Consumer<Command> events) throws IOException;

	/**
	 * Lets go of the listening sockets of addresses no worker serves any more, after a reload
	 * that changed {@code server.address} or {@code server.port}.
	 * @param inUse the addresses workers serve or are about to serve
	 */
	default void retainListeners(Collection<ListenAddress> inUse) {
	}

	/**
	 * What the master tells a new worker about itself.
	 *
	 * @param id unique for the life of the master, never reused
	 * @param slot 0..workers-1, reused when a worker is replaced
	 * @param generation incremented by every reload
	 * @param settings the settings the worker is started with
	 * @param resources its share of memory and processors
	 * @param nobodyServes no worker serves clients while this one starts (a first start, or all
	 * workers gone): it keeps its warm-up short
	 */
	record WorkerSpec(long id, int slot, int generation, MasterSettings settings,
			WorkerBudget.WorkerResources resources, boolean nobodyServes) {

		public WorkerSpec(long id, int slot, int generation, MasterSettings settings) {
			this(id, slot, generation, settings, WorkerBudget.WorkerResources.NONE, false);
		}

		/** The GPU this worker gets, or null. */
		public String gpu() {
			return this.settings.gpuOf(this.slot);
		}

	}

}
