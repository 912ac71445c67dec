package dev.prefork.hooks;

import java.time.Duration;

import dev.prefork.master.ExitReason;

/**
 * Your code at each point of the master's life, as gunicorn's server hooks. Implement the
 * methods you need and make the class a bean of the <em>master's</em> context by listing its
 * name in {@code META-INF/spring/dev.prefork.hooks.ServerHooks.imports} (one class per line),
 * or in the {@code prefork.hooks} property. The master's context is small and holds none of
 * your application's beans; a hook class may take the master's {@code Environment} or other
 * master beans in its constructor, and must not pull in the rest of your application.
 *
 * <p>
 * Hooks run on the master's loop thread, one after the other: keep them short. A hook that
 * throws is logged and the master goes on.
 */
public interface ServerHooks {

	/** on_starting: the master starts, before its first worker. */
	default void onStarting(long masterPid, int workers) {
	}

	/** when_ready: every worker of the first generation is ready. */
	default void whenReady(int workers) {
	}

	/**
	 * pre_fork: a worker is about to be started; the launch's environment and JVM options may
	 * be changed.
	 */
	default void preFork(WorkerLaunch launch) {
	}

	/** A worker's application started; it serves warm-up requests to itself before it takes clients. */
	default void workerWarming(int slot, long pid) {
	}

	/**
	 * A worker finished its warm-up, just before it is ready.
	 * @param took how long the warm-up ran
	 * @param requests the warm-up requests it served
	 * @param errors of which answered 4xx or 5xx or failed
	 */
	default void workerWarmedUp(int slot, long pid, Duration took, long requests, long errors) {
	}

	/** A worker is ready to serve. */
	default void workerReady(int slot, long pid, Duration bootTime) {
	}

	/**
	 * worker_exit / child_exit: a worker was reaped.
	 * @param reason why (every value is documented in {@link ExitReason}; its {@code toString()}
	 * is the lower-case name the log and the {@code reason} tag of the metrics use)
	 * @param status its exit status, such as "exit code 143" or "signal 9"
	 */
	default void workerExited(int slot, long pid, ExitReason reason, String status) {
	}

	/** nworkers_changed: the number of workers the master keeps changed. */
	default void workersChanged(int from, int to) {
	}

	/** on_reload: a reload starts a new generation of workers. */
	default void onReload(int generation) {
	}

	/** pre_exec: the master is about to start a new master for an upgrade (USR2). */
	default void preExec() {
	}

	/** on_exit: the master is about to exit with this code. */
	default void onExit(int exitCode) {
	}

}
