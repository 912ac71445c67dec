package dev.prefork.master;

import java.time.Duration;

/**
 * What happens in the master, for metrics and server hooks. Called on the master thread;
 * implementations must be quick. One that throws is logged and the master goes on.
 */
public interface MasterEvents {

	/** How log lines name this observer. */
	default String describe() {
		return getClass().getName();
	}

	/** The master loop starts; no worker is running yet. */
	default void starting(MasterSettings settings) {
	}

	/** All workers of the first generation are ready. */
	default void ready(int workers) {
	}

	/** The number of workers the master keeps changed (scaling, a reload, WINCH). */
	default void workersChanged(int from, int to) {
	}

	/** A reload started a new generation. */
	default void reloadStarted(int generation) {
	}

	/** A new master is about to be started for an upgrade (USR2). */
	default void upgradeStarting() {
	}

	/** This new master of an upgrade took over: its old master exited. */
	default void promoted(long oldMasterPid) {
	}

	/** The master begins to stop its workers and exit. */
	default void stopping() {
	}

	/** The master loop ended; the process exits with this code. */
	default void exited(int exitCode) {
	}

	/**
	 * A control command arrived, through any door.
	 * @param signal the signal that sent it, without {@code SIG}, or null from another door
	 */
	default void command(String command, Source source, String signal) {
	}

	/**
	 * A worker was spawned.
	 * @param reason start, respawn, scale, reload, recycle or upgrade
	 */
	default void workerSpawned(int slot, String reason) {
	}

	/** A worker's application started; it serves warm-up requests to itself before it is ready. */
	default void workerWarming(int slot, long pid) {
	}

	/** A worker finished its warm-up (just before {@link #workerReady}). */
	default void workerWarmedUp(int slot, long pid, Command.Warmup warmup) {
	}

	/** A worker told the master it is ready, {@code bootTime} after it was spawned. */
	default void workerReady(int slot, long pid, Duration bootTime) {
	}

	/** A worker was reaped. */
	default void workerExited(int slot, long pid, ExitReason reason, ExitStatus status) {
	}

	/**
	 * A reload ended.
	 * @param result succeeded or failed
	 */
	default void reloadEnded(String result, Duration duration) {
	}

}
