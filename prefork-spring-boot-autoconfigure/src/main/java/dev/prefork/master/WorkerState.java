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

	/** Forward only: a worker warms at most once, and nothing comes back from draining. */
	boolean mayMoveTo(WorkerState next) {
		return switch (this) {
			case BOOTING -> next != BOOTING;
			case WARMING -> next == READY || next == DRAINING;
			case READY, DRAINING -> next == DRAINING;
		};
	}

	@Override
	public String toString() {
		return name().toLowerCase(Locale.ROOT);
	}

}
