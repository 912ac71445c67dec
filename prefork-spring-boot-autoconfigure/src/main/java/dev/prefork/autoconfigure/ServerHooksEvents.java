package dev.prefork.autoconfigure;

import java.time.Duration;
import java.util.function.Consumer;

import dev.prefork.hooks.ServerHooks;
import dev.prefork.hooks.WorkerLaunch;
import dev.prefork.master.Command;
import dev.prefork.master.ExitReason;
import dev.prefork.master.ExitStatus;
import dev.prefork.master.MasterEvents;
import dev.prefork.master.MasterSettings;

/**
 * One user's {@link ServerHooks} as an observer of the master: the master guards each
 * observer, so a hook that throws is logged and the other hooks and the master go on.
 */
final class ServerHooksEvents implements MasterEvents, Consumer<WorkerLaunch> {

	private final ServerHooks hooks;

	private final long masterPid;

	ServerHooksEvents(ServerHooks hooks, long masterPid) {
		this.hooks = hooks;
		this.masterPid = masterPid;
	}

	@Override
	public String describe() {
		return "Server hook " + this.hooks.getClass().getName();
	}

	@Override
	public String toString() {
		return describe();
	}

	@Override
	public void starting(MasterSettings settings) {
		this.hooks.onStarting(this.masterPid, settings.workers());
	}

	@Override
	public void ready(int workers) {
		this.hooks.whenReady(workers);
	}

	@Override
	public void accept(WorkerLaunch launch) {
		this.hooks.preFork(launch);
	}

	@Override
	public void workerWarming(int slot, long pid) {
		this.hooks.workerWarming(slot, pid);
	}

	@Override
	public void workerWarmedUp(int slot, long pid, Command.Warmup warmup) {
		this.hooks.workerWarmedUp(slot, pid, warmup.took(), warmup.requests(), warmup.errors());
	}

	@Override
	public void workerReady(int slot, long pid, Duration bootTime) {
		this.hooks.workerReady(slot, pid, bootTime);
	}

	@Override
	public void workerExited(int slot, long pid, ExitReason reason, ExitStatus status) {
		this.hooks.workerExited(slot, pid, reason, status.toString());
	}

	@Override
	public void workersChanged(int from, int to) {
		this.hooks.workersChanged(from, to);
	}

	@Override
	public void reloadStarted(int generation) {
		this.hooks.onReload(generation);
	}

	@Override
	public void upgradeStarting() {
		this.hooks.preExec();
	}

	@Override
	public void exited(int exitCode) {
		this.hooks.onExit(exitCode);
	}

}
