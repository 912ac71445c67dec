package dev.prefork.master;

import java.util.Locale;

/** The life of one worker process: {@code BOOTING → READY → DRAINING}, then it is reaped. */
public enum WorkerState {

	/** Spawned, application not ready yet. */
	BOOTING,

	/** Serving requests on the shared socket. */
	READY,

	/** Asked to stop (or being killed); waiting to be reaped. */
	DRAINING;

	@Override
	public String toString() {
		return name().toLowerCase(Locale.ROOT);
	}

}
