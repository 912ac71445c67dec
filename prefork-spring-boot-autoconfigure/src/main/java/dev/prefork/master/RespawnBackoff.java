package dev.prefork.master;

import java.util.HashMap;
import java.util.Map;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Per worker slot: how many times in a row its worker failed, and when it may be spawned again
 * (0, 1, 2, 4 ... s, at most {@link MasterSettings#MAX_RESPAWN_BACKOFF}). A worker that stayed
 * ready for {@link MasterSettings#STABLE_AFTER} clears its slot's count.
 */
final class RespawnBackoff {

	private static final Log logger = LogFactory.getLog(RespawnBackoff.class);

	private final Map<Integer, Integer> failures = new HashMap<>();

	private final Map<Integer, Long> notBefore = new HashMap<>();

	/** A ready worker crashed: its slot's count starts over if it had been ready long enough to call it stable. */
	void crashed(Worker worker, long now) {
		if (worker.state == WorkerState.READY && now - worker.readyAt >= MasterSettings.STABLE_AFTER.toMillis()) {
			this.failures.remove(worker.slot);
		}
	}

	/** Counts one more failure of {@code slot}'s worker and says when the slot gets its next one. */
	void failed(int slot, long now) {
		long delay = backOff(slot, now, 0);
		logger.info("Respawning worker " + slot + " in " + MasterStatus.seconds(delay) + " s ("
				+ this.failures.get(slot) + " failure(s) in a row)");
	}

	/** A worker could not even be started in {@code slot}: the next try waits at least a second. */
	void couldNotStart(int slot, long now) {
		backOff(slot, now, 1000);
	}

	private long backOff(int slot, long now, long atLeast) {
		long delay = Math.max(atLeast, delay(this.failures.merge(slot, 1, Integer::sum)));
		this.notBefore.put(slot, now + delay);
		return delay;
	}

	/** Whether the slot's worker failed since its last stable one: its next spawn is a respawn. */
	boolean hasFailed(int slot) {
		return this.failures.containsKey(slot);
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
