package dev.prefork.master;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import dev.prefork.master.FakeLauncher.FakeProcess;
import dev.prefork.protocol.ExitCodes;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * USR2 upgrades, WINCH, promotion, and listening sockets across reloads, with fake processes.
 */
class MasterUpgradeTests {

	private final AtomicLong clock = new AtomicLong(1_000_000);

	private final FakeLauncher launcher = new FakeLauncher();

	private final List<FakeNewMaster> newMasters = new ArrayList<>();

	private final MasterSettings settings = MasterSettings.of(2, Duration.ofSeconds(30), Duration.ofSeconds(10),
			Duration.ofSeconds(60));

	private MasterSettings nextSettings = this.settings;

	private final AtomicInteger readyCalls = new AtomicInteger();

	private final Master master = new Master(this.settings, this.launcher, () -> this.nextSettings, () -> {
	}, this.clock::get, 42).readingSettingsOn(Runnable::run).upgradeWith(this::launchNewMaster).observedBy(new MasterEvents() {
		@Override
		public void ready(int workers) {
			MasterUpgradeTests.this.readyCalls.incrementAndGet();
		}
	});

	@Test
	void usr2StartsOneNewMasterAndRefusesASecondWhileItRuns() throws Exception {
		startAllReady();
		submit(new Command.Upgrade(Source.SIGNAL));
		assertThat(this.newMasters).hasSize(1);
		assertThat(this.master.status().state()).isEqualTo(MasterState.UPGRADING);
		assertThat(this.master.status().upgrade().newMasterPid()).isEqualTo(5000);
		submit(new Command.Upgrade(Source.SIGNAL));
		assertThat(this.newMasters).hasSize(1);
		assertThat(this.launcher.launched).allSatisfy((worker) -> assertThat(worker.signals).isEmpty());
	}

	@Test
	void observersHearOfTheUpgradeBeforeTheNewMasterStarts() throws Exception {
		List<String> seen = new ArrayList<>();
		this.master.observedBy(new MasterEvents() {
			@Override
			public void upgradeStarting() {
				seen.add("upgradeStarting, new masters so far: " + MasterUpgradeTests.this.newMasters.size());
			}
		});
		startAllReady();
		submit(new Command.Upgrade(Source.SIGNAL));
		submit(new Command.Upgrade(Source.SIGNAL));
		assertThat(seen).containsExactly("upgradeStarting, new masters so far: 0");
	}

	@Test
	void newMasterThatFailsToBootLeavesThisMasterUntouched() throws Exception {
		startAllReady();
		submit(new Command.Upgrade(Source.SIGNAL));
		submit(new Command.UpgradeExited(5000, ExitStatus.exited(ExitCodes.BOOT_ERROR)));
		assertThat(this.master.status().state()).isEqualTo(MasterState.RUNNING);
		assertThat(this.master.status().upgrade()).isNull();
		assertThat(this.launcher.launched).hasSize(2).allSatisfy((worker) -> assertThat(worker.signals).isEmpty());
		submit(new Command.Upgrade(Source.SIGNAL));
		assertThat(this.newMasters).as("a later upgrade may try again").hasSize(2);
	}

	@Test
	void winchStopsEveryWorkerAndKeepsTheMaster() throws Exception {
		startAllReady();
		submit(new Command.Upgrade(Source.SIGNAL));
		submit(new Command.UpgradeReady(5000));
		submit(new Command.StopWorkers(Source.SIGNAL));
		assertThat(this.launcher.launched).allSatisfy((worker) -> assertThat(worker.signals).containsExactly(Signal.TERM));
		exitAll();
		assertThat(this.master.status().targetWorkers()).isZero();
		assertThat(this.master.status().workers()).isEmpty();
		assertThat(this.launcher.launched).as("nothing respawned").hasSize(2);
		assertThat(this.master.status().state()).isEqualTo(MasterState.UPGRADING);
	}

	@Test
	void backingOutTheNewMasterRestartsWorkersStoppedByWinch() throws Exception {
		startAllReady();
		submit(new Command.Upgrade(Source.SIGNAL));
		submit(new Command.StopWorkers(Source.SIGNAL));
		exitAll();
		submit(new Command.UpgradeExited(5000, ExitStatus.exited(0)));
		assertThat(this.master.status().targetWorkers()).isEqualTo(2);
		assertThat(this.launcher.launched).hasSize(4);
		assertThat(this.master.status().state()).isEqualTo(MasterState.RUNNING);
	}

	@Test
	void hupAfterWinchStartsWorkersOfANewGeneration() throws Exception {
		startAllReady();
		submit(new Command.Upgrade(Source.SIGNAL));
		submit(new Command.StopWorkers(Source.SIGNAL));
		exitAll();
		submit(new Command.Reload(null, Source.SIGNAL));
		assertThat(this.launcher.launched).hasSize(4);
		assertThat(this.launcher.launched.subList(2, 4)).allSatisfy((worker) -> assertThat(worker.spec.generation()).isEqualTo(2));
	}

	@Test
	void winchWhileStartingIsIgnored() throws Exception {
		turn();
		submit(new Command.StopWorkers(Source.SIGNAL));
		assertThat(this.master.status().targetWorkers()).isEqualTo(2);
		assertThat(this.launcher.launched).allSatisfy((worker) -> assertThat(worker.signals).isEmpty());
	}

	@Test
	void newMasterRefusesToUpgradeUntilPromoted() throws Exception {
		this.master.asNewMasterOf(7);
		startAllReady();
		assertThat(this.master.status().upgradedFrom()).isEqualTo(7);
		submit(new Command.Upgrade(Source.SIGNAL));
		assertThat(this.newMasters).isEmpty();
		submit(new Command.Promoted(7));
		assertThat(this.master.status().upgradedFrom()).isNull();
		submit(new Command.Upgrade(Source.SIGNAL));
		assertThat(this.newMasters).hasSize(1);
	}

	@Test
	void whenReadyRunsOnceWhenTheFirstWorkersAreAllReady() throws Exception {
		turn();
		ready(this.launcher.launched.get(0));
		assertThat(this.readyCalls).hasValue(0);
		ready(this.launcher.launched.get(1));
		assertThat(this.readyCalls).hasValue(1);
		submit(new Command.Reload(null, Source.SIGNAL));
		this.launcher.launched.subList(2, this.launcher.launched.size()).forEach(this::submitReady);
		turn();
		assertThat(this.readyCalls).hasValue(1);
	}

	@Test
	void changedListenAddressIsServedByTheNewGenerationAndTheOldOneLetGoAfterwards() throws Exception {
		startAllReady();
		ListenAddress before = this.settings.listen();
		ListenAddress after = new ListenAddress("127.0.0.1", 9090, 128);
		assertThat(this.launcher.retained).containsExactly(List.of(before));
		this.nextSettings = withListen(after);
		submit(new Command.Reload(ReloadStrategy.ALL_AT_ONCE, Source.SIGNAL));
		List<FakeProcess> fresh = this.launcher.launched.subList(2, 4);
		assertThat(fresh).allSatisfy((worker) -> assertThat(worker.spec.settings().listen()).isEqualTo(after));
		fresh.forEach(this::submitReady);
		turn();
		assertThat(this.launcher.retained).last().asList().containsExactlyInAnyOrder(after, before);
		exit(this.launcher.launched.get(0));
		exit(this.launcher.launched.get(1));
		assertThat(this.launcher.retained).last().isEqualTo(List.of(after));
	}

	private MasterSettings withListen(ListenAddress listen) {
		MasterSettings s = this.settings;
		return new MasterSettings(s.workers(), s.maxWorkers(), s.timeout(), s.gracefulTimeout(), s.bootTimeout(),
				s.maxRequests(), s.maxRequestsJitter(), s.reloadStrategy(), s.workerJvmArgs(), listen, s.gpus());
	}

	private ChildProcess launchNewMaster(MasterSettings settings, Consumer<Command> events) throws IOException {
		FakeNewMaster newMaster = new FakeNewMaster(5000 + this.newMasters.size());
		this.newMasters.add(newMaster);
		return newMaster;
	}

	private void startAllReady() throws Exception {
		turn();
		this.launcher.launched.forEach(this::submitReady);
		turn();
	}

	private void ready(FakeProcess process) throws Exception {
		submitReady(process);
		turn();
	}

	private void submitReady(FakeProcess process) {
		this.master.submit(new Command.WorkerReady(process.spec.id()));
	}

	private void exitAll() throws Exception {
		for (FakeProcess process : List.copyOf(this.launcher.launched)) {
			this.master.submit(new Command.WorkerExited(process.spec.id(), ExitStatus.exited(0)));
		}
		turn();
	}

	private void exit(FakeProcess process) throws Exception {
		submit(new Command.WorkerExited(process.spec.id(), ExitStatus.exited(0)));
	}

	private void submit(Command command) throws Exception {
		this.master.submit(command);
		turn();
	}

	private void turn() throws Exception {
		this.master.turn(0);
	}

	private record FakeNewMaster(long pid) implements ChildProcess {

		@Override
		public void signal(Signal signal) {
		}

	}

}
