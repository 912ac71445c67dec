package dev.prefork.master;

/**
 * A process the master started: a worker, or the new master of an upgrade.
 */
public interface ChildProcess {

	long pid();

	/**
	 * Sends a signal to the process. Until the process is reaped its pid cannot be reused,
	 * and the master only signals children it has not reaped yet, so the signal never
	 * reaches another process.
	 * @param signal the signal
	 */
	void signal(Signal signal);

	/**
	 * Lowers the CPU priority of every thread of the process to {@code increment} nice levels
	 * below the master's (at most nice 19). It cannot be raised again without
	 * {@code CAP_SYS_NICE}.
	 */
	default void lowerPriority(int increment) {
	}

	/**
	 * Has the process write its thread dump (a JVM's), without waiting for it.
	 * @param label names the dump, e.g. {@code worker-0}
	 * @return where the dump goes, for the log: "to /tmp/...", or "to its console (SIGQUIT)"
	 */
	default String dumpThreads(String label) {
		signal(Signal.QUIT);
		return "to its console (SIGQUIT)";
	}

}
