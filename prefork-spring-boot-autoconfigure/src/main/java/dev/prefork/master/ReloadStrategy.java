package dev.prefork.master;

import java.util.Locale;

/** How a reload replaces the workers. */
public enum ReloadStrategy {

	/** One new worker, wait for it to be ready, stop one old worker, repeat: never fewer than N, never more than N+1. */
	ROLLING,

	/** N new workers, wait for all, then stop all old ones: twice the memory for a while. */
	ALL_AT_ONCE;

	@Override
	public String toString() {
		return name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

}
