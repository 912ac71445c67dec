package dev.prefork.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

import dev.prefork.hooks.ServerHooks;
import dev.prefork.hooks.WorkerLaunch;
import dev.prefork.master.ExitReason;
import dev.prefork.master.ExitStatus;
import dev.prefork.master.MasterEvents;
import dev.prefork.master.MasterSettings;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Turns the master's events into calls of the user's {@link ServerHooks}, each hook guarded:
 * one that throws is logged and the others and the master go on.
 */
final class ServerHooksEvents implements MasterEvents, Consumer<WorkerLaunch> {

	private static final Log logger = LogFactory.getLog(ServerHooksEvents.class);

	private final List<ServerHooks> hooks;

	private final long masterPid;

	ServerHooksEvents(List<ServerHooks> hooks, long masterPid) {
		this.hooks = hooks;
		this.masterPid = masterPid;
	}

	private void each(String hook, Consumer<ServerHooks> call) {
		for (ServerHooks each : this.hooks) {
			try {
				call.accept(each);
			}
			catch (RuntimeException | LinkageError ex) {
				logger.error("Server hook " + each.getClass().getName() + "." + hook + " failed; the master goes on: "
						+ ex, ex);
			}
		}
	}

	@Override
	public void starting(MasterSettings settings) {
		each("onStarting", (hooks) -> hooks.onStarting(this.masterPid, settings.workers()));
	}

	@Override
	public void ready(int workers) {
		each("whenReady", (hooks) -> hooks.whenReady(workers));
	}

	@Override
	public void accept(WorkerLaunch launch) {
		each("preFork", (hooks) -> hooks.preFork(launch));
	}

	@Override
	public void workerReady(int slot, long pid, Duration bootTime) {
		each("workerReady", (hooks) -> hooks.workerReady(slot, pid, bootTime));
	}

	@Override
	public void workerExited(int slot, long pid, ExitReason reason, ExitStatus status) {
		each("workerExited", (hooks) -> hooks.workerExited(slot, pid, reason.toString(), status.toString()));
	}

	@Override
	public void workersChanged(int from, int to) {
		each("workersChanged", (hooks) -> hooks.workersChanged(from, to));
	}

	@Override
	public void reloadStarted(int generation) {
		each("onReload", (hooks) -> hooks.onReload(generation));
	}

	@Override
	public void upgradeStarting() {
		each("preExec", ServerHooks::preExec);
	}

	@Override
	public void exited(int exitCode) {
		each("onExit", (hooks) -> hooks.onExit(exitCode));
	}

}
