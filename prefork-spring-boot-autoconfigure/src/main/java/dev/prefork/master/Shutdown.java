package dev.prefork.master;

import java.time.Duration;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The master's stop, once begun: graceful (TERM, SIGKILL after {@code prefork.graceful-timeout})
 * or quick (INT, SIGKILL after {@link MasterSettings#QUICK_STOP_TIMEOUT}); a quick stop may
 * overtake a graceful one, not the other way round. Keeps the exit code. Owned by the master
 * thread.
 */
final class Shutdown {

	private static final Log logger = LogFactory.getLog(Shutdown.class);

	/** How the stop in progress stops the workers, or null before it began. */
	private StopMode mode;

	/** When the stop in progress gives up waiting and kills. */
	private long deadline = Long.MAX_VALUE;

	private int exitCode;

	/** Why a stop asked for now changes nothing, or null: the master already stops as fast. */
	String redundancy(StopMode next) {
		boolean asFast = this.mode == StopMode.QUICK || (this.mode != null && next == StopMode.GRACEFUL);
		return asFast ? "the master is already stopping (" + this.mode.name().toLowerCase() + ")" : null;
	}

	/**
	 * Asks every worker to stop, the mode's way; SIGKILL follows at the deadline.
	 * @param exitCode the master's exit code, if higher than one already set
	 */
	void begin(StopMode mode, int exitCode, Duration gracefulTimeout, WorkerPool workers, long now) {
		Duration timeout = (mode == StopMode.GRACEFUL) ? gracefulTimeout : MasterSettings.QUICK_STOP_TIMEOUT;
		Signal signal = (mode == StopMode.GRACEFUL) ? Signal.TERM : Signal.INT;
		this.mode = mode;
		failWith(exitCode);
		this.deadline = now + timeout.toMillis();
		if (!workers.isEmpty()) {
			logger.info("Stopping " + MasterStatus.workers(workers.size()) + " with " + signal + "; SIGKILL after "
					+ timeout.toSeconds() + " s");
			workers.stopAll(signal, this.deadline);
		}
	}

	/** Whether the workers still there were killed and never reaped in time: the master gives up on them. */
	boolean givesUp(WorkerPool workers, long now) {
		if (this.mode == null || now < this.deadline + MasterSettings.REAP_GRACE.toMillis()) {
			return false;
		}
		logger.error("Giving up on " + MasterStatus.workers(workers.size()) + " that were killed but never reaped");
		return true;
	}

	/** Raises the exit code to {@code code}. */
	void failWith(int code) {
		this.exitCode = Math.max(this.exitCode, code);
	}

	int exitCode() {
		return this.exitCode;
	}

}
