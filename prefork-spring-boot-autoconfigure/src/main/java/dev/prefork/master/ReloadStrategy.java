package dev.prefork.master;

import java.util.Locale;

/** How a reload replaces the workers. */
public enum ReloadStrategy {

	/**
	 * One new worker at a time, each stopping its slot's old worker once ready; the next one
	 * boots while the previous one warms up if the memory limit has room for it. Never fewer
	 * than N ready, at most N+2 workers (N+1 without the room).
	 */
	ROLLING,

	/** N new workers, wait for all, then stop all old ones: twice the memory for a while. */
	ALL_AT_ONCE;

	@Override
	public String toString() {
		return name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

}
