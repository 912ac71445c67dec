package dev.prefork.master;

import java.time.Duration;

/**
 * What happens in the master, for metrics (and later hooks). Called on the master thread;
 * implementations must be quick and must not throw.
 */
public interface MasterEvents {

	/** Does nothing. */
	MasterEvents NONE = new MasterEvents() {
	};

	/** A control command arrived, through any door. */
	default void command(String command, Source source) {
	}

	/**
	 * A worker was spawned.
	 * @param reason start, respawn, scale, reload, recycle or upgrade
	 */
	default void workerSpawned(int slot, String reason) {
	}

	default void workerReady(int slot, Duration bootTime) {
	}

	default void workerExited(int slot, ExitReason reason) {
	}

	/**
	 * A reload ended.
	 * @param result succeeded or failed
	 */
	default void reloadEnded(String result, Duration duration) {
	}

}
