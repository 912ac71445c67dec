package dev.prefork.master;

/**
 * A started worker process.
 */
public interface WorkerProcess {

	long pid();

	/**
	 * Sends a signal to the worker. Until the worker is reaped its pid cannot be reused,
	 * and the master only signals workers it has not reaped yet, so the signal never
	 * reaches another process.
	 * @param signal the signal
	 */
	void signal(Signal signal);

}
