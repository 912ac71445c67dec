package dev.prefork.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

import dev.prefork.hooks.ServerHooks;
import dev.prefork.hooks.WorkerLaunch;
import dev.prefork.master.Command;
import dev.prefork.master.ExitReason;
import dev.prefork.master.ExitStatus;
import dev.prefork.master.MasterSettings;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ServerHooksEventsTests {

	private final List<String> calls = new ArrayList<>();

	@Test
	void eachMasterEventCallsItsHookWithItsArguments() {
		ServerHooksEvents events = new ServerHooksEvents(recorder(), 42);
		events.starting(MasterSettings.of(3, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(60)));
		WorkerLaunch launch = new WorkerLaunch(1, 2, "GPU-1", new HashMap<>(), new ArrayList<>());
		events.accept(launch);
		events.workerWarming(1, 4211);
		events.workerWarmedUp(1, 4211, new Command.Warmup(Duration.ofSeconds(2), 900, 3));
		events.workerReady(1, 4211, Duration.ofMillis(2500));
		events.ready(3);
		events.workersChanged(3, 4);
		events.reloadStarted(2);
		events.workerExited(1, 4211, ExitReason.CRASH, ExitStatus.killed(9));
		events.upgradeStarting();
		events.exited(0);
		assertThat(this.calls).containsExactly("onStarting 42 3", "preFork 1 2 GPU-1", "workerWarming 1 4211",
				"workerWarmedUp 1 4211 PT2S 900 3", "workerReady 1 4211 PT2.5S",
				"whenReady 3", "workersChanged 3 4", "onReload 2", "workerExited 1 4211 crash killed by signal 9",
				"preExec", "onExit 0");
		assertThat(launch.environment()).containsEntry("HOOKED", "yes");
	}

	@Test
	void logLinesNameTheUsersHookClass() {
		ServerHooks hooks = new ServerHooks() {
		};
		assertThat(new ServerHooksEvents(hooks, 42).describe())
			.isEqualTo("Server hook " + hooks.getClass().getName());
	}

	private ServerHooks recorder() {
		return new ServerHooks() {
			@Override
			public void onStarting(long masterPid, int workers) {
				ServerHooksEventsTests.this.calls.add("onStarting " + masterPid + " " + workers);
			}

			@Override
			public void whenReady(int workers) {
				ServerHooksEventsTests.this.calls.add("whenReady " + workers);
			}

			@Override
			public void preFork(WorkerLaunch launch) {
				ServerHooksEventsTests.this.calls.add("preFork " + launch.slot() + " " + launch.generation() + " " + launch.gpu());
				launch.environment().put("HOOKED", "yes");
			}

			@Override
			public void workerWarming(int slot, long pid) {
				ServerHooksEventsTests.this.calls.add("workerWarming " + slot + " " + pid);
			}

			@Override
			public void workerWarmedUp(int slot, long pid, Duration took, long requests, long errors) {
				ServerHooksEventsTests.this.calls.add("workerWarmedUp " + slot + " " + pid + " " + took + " " + requests
						+ " " + errors);
			}

			@Override
			public void workerReady(int slot, long pid, Duration bootTime) {
				ServerHooksEventsTests.this.calls.add("workerReady " + slot + " " + pid + " " + bootTime);
			}

			@Override
			public void workerExited(int slot, long pid, ExitReason reason, String status) {
				ServerHooksEventsTests.this.calls.add("workerExited " + slot + " " + pid + " " + reason + " " + status);
			}

			@Override
			public void workersChanged(int from, int to) {
				ServerHooksEventsTests.this.calls.add("workersChanged " + from + " " + to);
			}

			@Override
			public void onReload(int generation) {
				ServerHooksEventsTests.this.calls.add("onReload " + generation);
			}

			@Override
			public void preExec() {
				ServerHooksEventsTests.this.calls.add("preExec");
			}

			@Override
			public void onExit(int exitCode) {
				ServerHooksEventsTests.this.calls.add("onExit " + exitCode);
			}
		};
	}

}
