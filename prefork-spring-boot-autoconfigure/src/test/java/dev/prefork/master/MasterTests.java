package dev.prefork.master;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import dev.prefork.master.FakeLauncher.FakeProcess;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MasterTests {

	private final AtomicLong clock = new AtomicLong(1_000_000);

	private final FakeLauncher launcher = new FakeLauncher();

	private final Master master = new Master(new MasterSettings(2, Duration.ofSeconds(30), Duration.ofSeconds(10),
			Duration.ofSeconds(60)), this.launcher, this.clock::get, 42);

	@Test
	void startsOneWorkerPerSlot() throws Exception {
		turn();
		assertThat(this.launcher.launched).extracting((process) -> process.spec.slot()).containsExactly(0, 1);
		assertThat(this.master.status().state()).isEqualTo(MasterState.STARTING);
		assertThat(this.master.status().workers()).extracting(MasterStatus.WorkerStatus::state)
			.containsOnly(WorkerState.BOOTING);
	}

	@Test
	void runsOnceEveryWorkerIsReady() throws Exception {
		startAllReady();
		assertThat(this.master.status().state()).isEqualTo(MasterState.RUNNING);
		assertThat(this.master.status().readyWorkers()).isEqualTo(2);
	}

	@Test
	void crashedWorkerIsRespawnedInItsSlotAtOnce() throws Exception {
		startAllReady();
		FakeProcess crashed = this.launcher.launched.get(1);
		exit(crashed, ExitStatus.killed(9));
		assertThat(this.launcher.launched).hasSize(3);
		assertThat(this.launcher.last().spec.slot()).isEqualTo(1);
		assertThat(this.master.status().workers()).extracting(MasterStatus.WorkerStatus::pid)
			.containsExactly(1000L, 1002L);
	}

	@Test
	void repeatedCrashesBackOff() throws Exception {
		startAllReady();
		exit(this.launcher.launched.get(0), ExitStatus.exited(1));
		FakeProcess second = this.launcher.last();
		ready(second);
		exit(second, ExitStatus.exited(1));
		assertThat(this.launcher.launched).as("second crash in a row waits 1 s").hasSize(3);
		advance(Duration.ofMillis(999));
		assertThat(this.launcher.launched).hasSize(3);
		advance(Duration.ofMillis(1));
		assertThat(this.launcher.launched).hasSize(4);
	}

	@Test
	void backoffDoublesUpToThirtySeconds() {
		assertThat(List.of(1, 2, 3, 4, 5, 6, 7, 50)).map(Master::backoffMillis)
			.containsExactly(0L, 1000L, 2000L, 4000L, 8000L, 16000L, 30000L, 30000L);
	}

	@Test
	void workerStableForAMinuteResetsTheBackoff() throws Exception {
		startAllReady();
		exit(this.launcher.launched.get(0), ExitStatus.exited(1));
		FakeProcess second = this.launcher.last();
		ready(second);
		advance(Duration.ofSeconds(61));
		heartbeatAll();
		exit(second, ExitStatus.exited(1));
		assertThat(this.launcher.launched).as("respawned at once").hasSize(4);
	}

	@Test
	void bootFailureAtFirstStartStopsTheMasterWithTheWorkersExitCode() throws Exception {
		turn();
		ready(this.launcher.launched.get(0));
		exit(this.launcher.launched.get(1), ExitStatus.exited(ExitStatus.BOOT_ERROR));
		assertThat(this.master.status().state()).isEqualTo(MasterState.STOPPING);
		assertThat(this.launcher.launched).as("nothing respawned").hasSize(2);
		assertThat(this.launcher.launched.get(0).signals).containsExactly(Signal.INT);
		exit(this.launcher.launched.get(0), ExitStatus.exited(0));
		assertThat(this.master.status().state()).isEqualTo(MasterState.STOPPED);
		assertThat(this.master.status().exitCode()).isEqualTo(3);
	}

	@Test
	void appLoadFailureAtFirstStartExitsWithFour() throws Exception {
		turn();
		exit(this.launcher.launched.get(0), ExitStatus.exited(ExitStatus.APP_LOAD_ERROR));
		exit(this.launcher.launched.get(1), ExitStatus.exited(0));
		assertThat(this.master.status().exitCode()).isEqualTo(4);
	}

	@Test
	void bootFailureOnceRunningIsRespawned() throws Exception {
		startAllReady();
		exit(this.launcher.launched.get(0), ExitStatus.killed(9));
		exit(this.launcher.last(), ExitStatus.exited(ExitStatus.BOOT_ERROR));
		assertThat(this.master.status().state()).isEqualTo(MasterState.RUNNING);
		advance(Duration.ofSeconds(1));
		assertThat(this.launcher.launched).hasSize(4);
	}

	@Test
	void silentWorkerGetsQuitThenKillThenIsReplaced() throws Exception {
		startAllReady();
		FakeProcess silent = this.launcher.launched.get(0);
		advance(Duration.ofSeconds(20));
		this.master.submit(new Command.WorkerHeartbeat(this.launcher.launched.get(1).spec.id(), 5, 0));
		advance(Duration.ofSeconds(11));
		assertThat(silent.signals).containsExactly(Signal.QUIT);
		assertThat(this.launcher.launched.get(1).signals).isEmpty();
		advance(MasterSettings.THREAD_DUMP_GRACE);
		assertThat(silent.signals).containsExactly(Signal.QUIT, Signal.KILL);
		exit(silent, ExitStatus.killed(9));
		assertThat(this.launcher.last().spec.slot()).isEqualTo(0);
		assertThat(this.launcher.launched).hasSize(3);
	}

	@Test
	void workerNotReadyWithinBootTimeoutIsKilled() throws Exception {
		turn();
		advance(Duration.ofSeconds(61));
		assertThat(this.launcher.launched.get(0).signals).containsExactly(Signal.QUIT);
	}

	@Test
	void gracefulStopSendsTermAndKillsWhatOutlivesTheTimeout() throws Exception {
		startAllReady();
		this.master.submit(new Command.Stop(StopMode.GRACEFUL, Source.SIGNAL));
		turn();
		FakeProcess first = this.launcher.launched.get(0);
		FakeProcess second = this.launcher.launched.get(1);
		assertThat(first.signals).containsExactly(Signal.TERM);
		exit(first, ExitStatus.exited(143));
		advance(Duration.ofSeconds(10));
		assertThat(second.signals).containsExactly(Signal.TERM, Signal.KILL);
		exit(second, ExitStatus.killed(9));
		assertThat(this.master.status().state()).isEqualTo(MasterState.STOPPED);
		assertThat(this.master.status().exitCode()).isZero();
		assertThat(this.launcher.launched).as("nothing respawned while stopping").hasSize(2);
	}

	@Test
	void quickStopSendsInt() throws Exception {
		startAllReady();
		this.master.submit(new Command.Stop(StopMode.QUICK, Source.SIGNAL));
		turn();
		assertThat(this.launcher.launched).allSatisfy((process) -> assertThat(process.signals).containsExactly(Signal.INT));
	}

	@Test
	void quickStopDuringGracefulStopEscalates() throws Exception {
		startAllReady();
		this.master.submit(new Command.Stop(StopMode.GRACEFUL, Source.SIGNAL));
		this.master.submit(new Command.Stop(StopMode.GRACEFUL, Source.SIGNAL));
		this.master.submit(new Command.Stop(StopMode.QUICK, Source.SIGNAL));
		turn();
		assertThat(this.launcher.launched.get(0).signals).containsExactly(Signal.TERM, Signal.INT);
	}

	@Test
	void spawnFailureAtFirstStartStopsTheMaster() throws Exception {
		this.launcher.failNext = true;
		turn();
		assertThat(this.master.status().state()).isEqualTo(MasterState.STOPPED);
		assertThat(this.master.status().exitCode()).isEqualTo(ExitStatus.BOOT_ERROR);
	}

	@Test
	void messagesFromReapedWorkersAreIgnored() throws Exception {
		startAllReady();
		FakeProcess gone = this.launcher.launched.get(0);
		exit(gone, ExitStatus.killed(9));
		this.master.submit(new Command.WorkerReady(gone.spec.id()));
		this.master.submit(new Command.WorkerHeartbeat(gone.spec.id(), 1, 1));
		turn();
		assertThat(this.master.status().workers()).extracting(MasterStatus.WorkerStatus::pid)
			.doesNotContain((long) gone.pid);
	}

	@Test
	void heartbeatUpdatesRequestCounts() throws Exception {
		startAllReady();
		this.master.submit(new Command.WorkerHeartbeat(this.launcher.launched.get(0).spec.id(), 17, 3));
		turn();
		MasterStatus.WorkerStatus worker = this.master.status().workers().get(0);
		assertThat(worker.requests()).isEqualTo(17);
		assertThat(worker.inflight()).isEqualTo(3);
		assertThat(worker.heartbeatAgeSeconds()).isZero();
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

	private void heartbeatAll() throws Exception {
		this.launcher.launched.forEach(
				(process) -> this.master.submit(new Command.WorkerHeartbeat(process.spec.id(), 0, 0)));
		turn();
	}

	private void exit(FakeProcess process, ExitStatus status) throws Exception {
		this.master.submit(new Command.WorkerExited(process.spec.id(), status));
		turn();
	}

	private void advance(Duration duration) throws Exception {
		this.clock.addAndGet(duration.toMillis());
		turn();
	}

	private void turn() throws Exception {
		this.master.turn(0);
	}

}
