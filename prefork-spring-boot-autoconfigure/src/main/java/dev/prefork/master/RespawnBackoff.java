package dev.prefork.master;

import java.util.HashMap;
import java.util.Map;

/**
 * Per worker slot: how many times in a row its worker failed, and when it may be spawned again
 * (0, 1, 2, 4 ... s, at most {@link MasterSettings#MAX_RESPAWN_BACKOFF}). A worker that stayed
 * ready for {@link MasterSettings#STABLE_AFTER} clears its slot's count.
 */
final class RespawnBackoff {

	private final Map<Integer, Integer> failures = new HashMap<>();

	private final Map<Integer, Long> notBefore = new HashMap<>();

	/**
	 * Counts one more failure of {@code slot}'s worker.
	 * @param atLeast the shortest delay, in milliseconds
	 * @return the delay before the slot's next spawn, in milliseconds
	 */
	long failed(int slot, long now, long atLeast) {
		long delay = Math.max(atLeast, delay(this.failures.merge(slot, 1, Integer::sum)));
		this.notBefore.put(slot, now + delay);
		return delay;
	}

	int failuresInARow(int slot) {
		return this.failures.getOrDefault(slot, 0);
	}

	/** Whether the slot's worker failed since its last stable one: its next spawn is a respawn. */
	boolean hasFailed(int slot) {
		return this.failures.containsKey(slot);
	}

	/** The slot's worker ran long enough: its next failure starts the count again. */
	void stable(int slot) {
		this.failures.remove(slot);
	}

	boolean mayRespawn(int slot, long now) {
		return now >= this.notBefore.getOrDefault(slot, 0L);
	}

	static long delay(int failuresInARow) {
		if (failuresInARow <= 1) {
			return 0;
		}
		long max = MasterSettings.MAX_RESPAWN_BACKOFF.toMillis();
		int exponent = Math.min(failuresInARow - 2, 30);
		return Math.min(1000L << exponent, max);
	}

}
