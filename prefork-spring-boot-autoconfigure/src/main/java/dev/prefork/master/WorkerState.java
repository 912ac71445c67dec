package dev.prefork.master;

import java.util.Locale;

/**
 * The life of one worker process: {@code BOOTING → WARMING → READY → DRAINING} (a worker
 * without warm-up goes from booting to ready), then it is reaped.
 */
public enum WorkerState {

	/** Spawned, application not ready yet. */
	BOOTING,

	/** Application started; serving warm-up requests to itself, not yet to clients. */
	WARMING,

	/** Serving requests on the shared socket. */
	READY,

	/** Asked to stop (or being killed); waiting to be reaped. */
	DRAINING;

	@Override
	public String toString() {
		return name().toLowerCase(Locale.ROOT);
	}

}
