package dev.prefork.master;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import dev.prefork.master.FakeLauncher.FakeProcess;
import dev.prefork.protocol.ExitCodes;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class MasterTests {

	private final AtomicLong clock = new AtomicLong(1_000_000);

	private final FakeLauncher launcher = new FakeLauncher();

	private final MasterSettings settings = MasterSettings.of(2, Duration.ofSeconds(30), Duration.ofSeconds(10),
			Duration.ofSeconds(60));

	/** What the next reload reads; {@code null} makes the configuration invalid. */
	private MasterSettings nextSettings = this.settings;

	private final AtomicInteger loads = new AtomicInteger();

	private final AtomicInteger logReopens = new AtomicInteger();

	private final Master master = new Master(this.settings, this.launcher, this::loadSettings,
			this.logReopens::incrementAndGet, this.clock::get, 42)
		.readingSettingsOn(Runnable::run);

	@Test
	void startsOneWorkerPerSlot() throws Exception {
		turn();
		assertThat(this.launcher.launched).extracting((process) -> process.spec.slot()).containsExactly(0, 1);
		assertThat(this.master.status().state()).isEqualTo(MasterState.STARTING);
		assertThat(this.master.status().workers()).extracting(MasterStatus.WorkerStatus::state)
			.containsOnly(WorkerState.BOOTING);
	}

	@Test
	void aWarmingWorkerIsNotReadyAndIsJudgedByItsWarmUpLimitNotTheBootTimeout() throws Exception {
		turn();
		FakeProcess first = this.launcher.launched.get(0);
		assertThat(first.spec.nobodyServes()).as("the first workers: clients wait for them").isTrue();
		this.master.submit(new Command.WorkerWarming(first.spec.id(), Duration.ofSeconds(5)));
		turn();
		assertThat(this.master.status().workers().get(0).state()).isEqualTo(WorkerState.WARMING);
		this.master.submit(new Command.WorkerReady(first.spec.id(), new Command.Warmup(Duration.ofSeconds(3), 500, 0)));
		ready(this.launcher.launched.get(1));
		assertThat(this.master.status().state()).isEqualTo(MasterState.RUNNING);
		exit(first, ExitStatus.killed(9));
		FakeProcess respawned = this.launcher.last();
		assertThat(respawned.spec.nobodyServes()).as("another worker serves meanwhile").isFalse();
		advance(Duration.ofSeconds(50));
		this.master.submit(new Command.WorkerWarming(respawned.spec.id(), Duration.ofSeconds(30)));
		turn();
		advance(Duration.ofSeconds(50));
		assertThat(respawned.signals).as("past the boot timeout, within the warm-up's limit").isEmpty();
		advance(Duration.ofSeconds(30).plus(MasterSettings.WARMUP_GRACE).minusSeconds(50));
		assertThat(respawned.signals).isEmpty();
		advance(Duration.ofSeconds(1));
		assertThat(respawned.signals).as("warming past its limit and the grace").contains(Signal.QUIT);
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
		assertThat(List.of(1, 2, 3, 4, 5, 6, 7, 50)).map(RespawnBackoff::delay)
			.containsExactly(0L, 1000L, 2000L, 4000L, 8000L, 16000L, 30000L, 30000L);
	}

	@Test
	void workerStableForAMinuteResetsTheBackoff() throws Exception {
		startAllReady();
		exit(this.launcher.launched.get(0), ExitStatus.exited(1));
		FakeProcess second = this.launcher.last();
		ready(second);
		for (int i = 0; i < 3; i++) {
			advance(Duration.ofSeconds(21));
			heartbeatAll();
		}
		exit(second, ExitStatus.exited(1));
		assertThat(this.launcher.launched).as("respawned at once").hasSize(4);
	}

	@Test
	void bootFailureAtFirstStartStopsTheMasterWithTheWorkersExitCode() throws Exception {
		turn();
		ready(this.launcher.launched.get(0));
		exit(this.launcher.launched.get(1), ExitStatus.exited(ExitCodes.BOOT_ERROR));
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
		exit(this.launcher.launched.get(0), ExitStatus.exited(ExitCodes.APP_LOAD_ERROR));
		exit(this.launcher.launched.get(1), ExitStatus.exited(0));
		assertThat(this.master.status().exitCode()).isEqualTo(4);
	}

	@Test
	void bootFailureOnceRunningIsRespawned() throws Exception {
		startAllReady();
		exit(this.launcher.launched.get(0), ExitStatus.killed(9));
		exit(this.launcher.last(), ExitStatus.exited(ExitCodes.BOOT_ERROR));
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
		assertThat(this.master.status().exitCode()).isEqualTo(ExitCodes.BOOT_ERROR);
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

	@Test
	void rollingReloadReplacesOneWorkerAtATimeOnceTheNewOneIsReady() throws Exception {
		startAllReady();
		FakeProcess old0 = this.launcher.launched.get(0);
		FakeProcess old1 = this.launcher.launched.get(1);
		reload(null);
		assertThat(this.master.status().state()).isEqualTo(MasterState.RELOADING);
		assertThat(this.launcher.launched).hasSize(3);
		FakeProcess new0 = this.launcher.last();
		assertThat(new0.spec.slot()).isZero();
		assertThat(new0.spec.generation()).isEqualTo(2);
		turn();
		assertThat(this.launcher.launched).as("one new worker at a time").hasSize(3);
		assertThat(old0.signals).as("old worker serves until its successor is ready").isEmpty();
		ready(new0);
		assertThat(old0.signals).containsExactly(Signal.TERM);
		assertThat(this.launcher.launched).hasSize(4);
		FakeProcess new1 = this.launcher.last();
		assertThat(new1.spec.slot()).isEqualTo(1);
		assertThat(old1.signals).isEmpty();
		ready(new1);
		assertThat(old1.signals).containsExactly(Signal.TERM);
		MasterStatus status = this.master.status();
		assertThat(status.state()).isEqualTo(MasterState.RUNNING);
		assertThat(status.generation()).isEqualTo(2);
		assertThat(status.lastReload().result()).isEqualTo("succeeded");
		exit(old0, ExitStatus.exited(143));
		exit(old1, ExitStatus.exited(143));
		assertThat(this.launcher.launched).as("nothing respawned for retired workers").hasSize(4);
		assertThat(this.master.status().workers()).extracting(MasterStatus.WorkerStatus::generation).containsOnly(2);
	}

	/**
	 * Rolling, the next new worker boots while the previous one warms up (no memory limit here):
	 * never two booting, never more than two not ready, and each old worker stops only once
	 * its own successor is ready.
	 */
	@Test
	void rollingReloadBootsTheNextWorkerWhileThePreviousOneWarmsUp() throws Exception {
		Master three = new Master(MasterSettings.of(3, Duration.ofSeconds(30), Duration.ofSeconds(10),
				Duration.ofSeconds(60)), this.launcher, () -> MasterSettings.of(3, Duration.ofSeconds(30),
						Duration.ofSeconds(10), Duration.ofSeconds(60)), () -> {
						}, this.clock::get, 42)
			.readingSettingsOn(Runnable::run);
		three.turn(0);
		List<FakeProcess> old = List.copyOf(this.launcher.launched);
		old.forEach((process) -> three.submit(new Command.WorkerReady(process.spec.id())));
		three.turn(0);
		three.submit(new Command.Reload(null, Source.SIGNAL));
		three.turn(0);
		FakeProcess new0 = this.launcher.last();
		three.turn(0);
		assertThat(this.launcher.launched).as("one booting at a time").hasSize(4);
		three.submit(new Command.WorkerWarming(new0.spec.id(), Duration.ofSeconds(30)));
		three.turn(0);
		assertThat(this.launcher.launched).as("the next boots while the first warms up").hasSize(5);
		FakeProcess new1 = this.launcher.last();
		assertThat(new1.spec.slot()).isEqualTo(1);
		three.submit(new Command.WorkerWarming(new1.spec.id(), Duration.ofSeconds(30)));
		three.turn(0);
		assertThat(this.launcher.launched).as("two warming: at most two not ready").hasSize(5);
		assertThat(old).allSatisfy((process) -> assertThat(process.signals).isEmpty());
		three.submit(new Command.WorkerReady(new1.spec.id()));
		three.turn(0);
		assertThat(old.get(1).signals).as("slot 1's successor is ready").containsExactly(Signal.TERM);
		assertThat(old.get(0).signals).isEmpty();
		FakeProcess new2 = this.launcher.last();
		assertThat(new2.spec.slot()).isEqualTo(2);
		three.submit(new Command.WorkerReady(new0.spec.id()));
		three.submit(new Command.WorkerReady(new2.spec.id()));
		three.turn(0);
		assertThat(old).allSatisfy((process) -> assertThat(process.signals).containsExactly(Signal.TERM));
		assertThat(three.status().lastReload().result()).isEqualTo("succeeded");
	}

	@Test
	void allAtOnceReloadStartsEveryNewWorkerThenStopsTheOldOnes() throws Exception {
		startAllReady();
		reload(ReloadStrategy.ALL_AT_ONCE);
		assertThat(this.launcher.launched).hasSize(4);
		ready(this.launcher.launched.get(2));
		assertThat(this.launcher.launched.get(0).signals).as("waits for all new workers").isEmpty();
		ready(this.launcher.launched.get(3));
		assertThat(this.launcher.launched.get(0).signals).containsExactly(Signal.TERM);
		assertThat(this.launcher.launched.get(1).signals).containsExactly(Signal.TERM);
		assertThat(this.master.status().lastReload().strategy()).isEqualTo("all-at-once");
	}

	@Test
	void brokenDeployAbortsTheReloadAndTheOldWorkersKeepServing() throws Exception {
		startAllReady();
		reload(null);
		FakeProcess broken = this.launcher.last();
		exit(broken, ExitStatus.exited(ExitCodes.BOOT_ERROR));
		MasterStatus status = this.master.status();
		assertThat(status.state()).isEqualTo(MasterState.RUNNING);
		assertThat(status.generation()).isEqualTo(1);
		assertThat(status.lastReload().result()).isEqualTo("failed");
		assertThat(status.lastReload().message()).contains("failed to boot (exit code 3");
		assertThat(this.launcher.launched.get(0).signals).isEmpty();
		assertThat(this.launcher.launched.get(1).signals).isEmpty();
		turn();
		assertThat(this.launcher.launched).as("no retry of the broken generation").hasSize(3);
		assertThat(status.workers()).extracting(MasterStatus.WorkerStatus::state).containsOnly(WorkerState.READY);
	}

	@Test
	void reloadWhoseWorkerNeverGetsReadyIsAborted() throws Exception {
		startAllReady();
		heartbeatAll();
		reload(null);
		FakeProcess stuck = this.launcher.last();
		for (int i = 0; i < 2; i++) {
			advance(Duration.ofSeconds(25));
			heartbeatAll();
		}
		advance(Duration.ofSeconds(11));
		assertThat(stuck.signals).containsExactly(Signal.QUIT);
		assertThat(this.master.status().lastReload().result()).isEqualTo("failed");
		assertThat(this.launcher.launched.get(0).signals).isEmpty();
	}

	@Test
	void invalidConfigurationRefusesTheReload() throws Exception {
		startAllReady();
		this.nextSettings = null;
		reload(null);
		assertThat(this.launcher.launched).hasSize(2);
		assertThat(this.master.status().state()).isEqualTo(MasterState.RUNNING);
		assertThat(this.master.status().lastReload().message()).contains("prefork.workers must be at least 1");
	}

	@Test
	void reloadAppliesTheNewWorkerCount() throws Exception {
		startAllReady();
		this.nextSettings = MasterSettings.of(3, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(60));
		reload(null);
		for (int i = 0; i < 3; i++) {
			ready(this.launcher.last());
		}
		assertThat(this.master.status().targetWorkers()).isEqualTo(3);
		assertThat(this.master.status().workers()).filteredOn((w) -> w.state() == WorkerState.READY)
			.extracting(MasterStatus.WorkerStatus::generation)
			.containsExactly(2, 2, 2);
	}

	@Test
	void aStormOfReloadsRunsAtMostOneMoreAfterTheRunningOne() throws Exception {
		startAllReady();
		for (int i = 0; i < 50; i++) {
			this.master.submit(new Command.Reload(null, Source.SIGNAL));
		}
		turn();
		assertThat(this.loads).hasValue(1);
		ready(this.launcher.last());
		ready(this.launcher.last());
		assertThat(this.loads).as("the queued reload reads its configuration").hasValue(2);
		turn();
		assertThat(this.master.status().generation()).as("and starts once it is read").isEqualTo(3);
		ready(this.launcher.last());
		ready(this.launcher.last());
		turn();
		assertThat(this.loads).hasValue(2);
		assertThat(this.master.status().state()).isEqualTo(MasterState.RUNNING);
	}

	@Test
	void ttinAddsAWorkerAndTtouStopsTheOneInTheHighestSlot() throws Exception {
		startAllReady();
		this.master.submit(new Command.Scale(1, Source.SIGNAL));
		turn();
		assertThat(this.launcher.last().spec.slot()).isEqualTo(2);
		ready(this.launcher.last());
		this.master.submit(new Command.Scale(-1, Source.SIGNAL));
		turn();
		assertThat(this.launcher.launched.get(2).signals).containsExactly(Signal.TERM);
		exit(this.launcher.launched.get(2), ExitStatus.exited(143));
		assertThat(this.launcher.launched).as("not respawned").hasSize(3);
		assertThat(this.master.status().targetWorkers()).isEqualTo(2);
	}

	@Test
	void scalingNeverGoesBelowOneWorker() throws Exception {
		startAllReady();
		for (int i = 0; i < 5; i++) {
			this.master.submit(new Command.Scale(-1, Source.SIGNAL));
		}
		turn();
		assertThat(this.master.status().targetWorkers()).isEqualTo(1);
		assertThat(this.launcher.launched.get(0).signals).isEmpty();
		assertThat(this.launcher.launched.get(1).signals).containsExactly(Signal.TERM);
	}

	@Test
	void workerThatServedMaxRequestsIsReplacedOnceItsSuccessorIsReady() throws Exception {
		MasterSettings recycling = new MasterSettings(2, 64, Duration.ofSeconds(30), Duration.ofSeconds(10),
				Duration.ofSeconds(60), 100, 0, ReloadStrategy.ROLLING, List.of(),
				new ListenAddress("", 0, 128), List.of());
		Master master = new Master(recycling, this.launcher, this::loadSettings, () -> {
		}, this.clock::get, 42);
		master.turn(0);
		this.launcher.launched.forEach((process) -> master.submit(new Command.WorkerReady(process.spec.id())));
		master.turn(0);
		FakeProcess first = this.launcher.launched.get(0);
		FakeProcess second = this.launcher.launched.get(1);
		master.submit(new Command.WorkerHeartbeat(first.spec.id(), 100, 0));
		master.submit(new Command.WorkerHeartbeat(second.spec.id(), 150, 0));
		master.turn(0);
		assertThat(this.launcher.launched).as("one at a time").hasSize(3);
		FakeProcess successor = this.launcher.last();
		assertThat(successor.spec.slot()).isZero();
		assertThat(first.signals).isEmpty();
		master.submit(new Command.WorkerReady(successor.spec.id()));
		master.turn(0);
		assertThat(first.signals).containsExactly(Signal.TERM);
		master.submit(new Command.WorkerExited(first.spec.id(), ExitStatus.exited(143)));
		master.turn(0);
		assertThat(this.launcher.last().spec.slot()).as("then the next one").isEqualTo(1);
	}

	@Test
	void workerPastItsLifetimeIsReplacedOneAtATimeOnceItsSuccessorIsReady() throws Exception {
		MasterSettings aging = withLifetime(Duration.ofSeconds(60), Duration.ZERO);
		List<String> exits = new ArrayList<>();
		Master master = new Master(aging, this.launcher, this::loadSettings, () -> {
		}, this.clock::get, 42).observedBy(new MasterEvents() {
			@Override
			public void workerExited(int slot, long pid, ExitReason reason, ExitStatus status) {
				exits.add(slot + ":" + reason);
			}
		});
		master.turn(0);
		this.launcher.launched.forEach((process) -> master.submit(new Command.WorkerReady(process.spec.id())));
		this.clock.addAndGet(59_999);
		master.turn(0);
		assertThat(this.launcher.launched).as("not before its lifetime").hasSize(2);
		this.clock.addAndGet(1);
		master.turn(0);
		assertThat(this.launcher.launched).as("one at a time").hasSize(3);
		FakeProcess first = this.launcher.launched.get(0);
		FakeProcess successor = this.launcher.last();
		assertThat(successor.spec.slot()).isZero();
		master.turn(0);
		assertThat(first.signals).as("readiness-gated").isEmpty();
		master.submit(new Command.WorkerReady(successor.spec.id()));
		master.turn(0);
		assertThat(first.signals).containsExactly(Signal.TERM);
		master.submit(new Command.WorkerExited(first.spec.id(), ExitStatus.exited(143)));
		master.turn(0);
		assertThat(exits).containsExactly("0:lifetime");
		assertThat(this.launcher.last().spec.slot()).as("then the next one").isEqualTo(1);
	}

	@Test
	void eachWorkerDrawsItsOwnLifetimeWithinTheJitter() {
		SplittableRandom random = new SplittableRandom();
		MasterSettings jittered = withLifetime(Duration.ofSeconds(60), Duration.ofSeconds(60));
		List<Long> ends = IntStream.range(0, 8).mapToObj((i) -> WorkerPool.lifetimeEnd(jittered, 1000, random)).toList();
		assertThat(ends).allSatisfy((end) -> assertThat(end).isBetween(61_000L, 121_000L));
		assertThat(Set.copyOf(ends)).as("drawn per worker, not once for all").hasSizeGreaterThan(1);
		assertThat(WorkerPool.lifetimeEnd(withLifetime(Duration.ofSeconds(60), Duration.ZERO), 1000, random))
			.isEqualTo(61_000L);
		assertThat(WorkerPool.lifetimeEnd(withLifetime(Duration.ZERO, Duration.ofSeconds(60)), 1000, random))
			.as("no lifetime: never").isEqualTo(Long.MAX_VALUE);
	}

	private static MasterSettings withLifetime(Duration lifetime, Duration jitter) {
		MasterSettings s = MasterSettings.of(2, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(60));
		return new MasterSettings(s.workers(), s.maxWorkers(), s.timeout(), s.gracefulTimeout(), s.bootTimeout(),
				s.maxRequests(), s.maxRequestsJitter(), s.reloadStrategy(), s.workerJvmArgs(), s.listen(), s.gpus(),
				s.budget(), s.minReadyWorkers(), lifetime, jitter);
	}

	@Test
	void eachWorkerDrawsItsOwnRequestLimitWithinTheJitter() throws Exception {
		List<Long> jittered = requestLimits(100, 1000);
		assertThat(jittered).allSatisfy((limit) -> assertThat(limit).isBetween(100L, 1100L));
		assertThat(Set.copyOf(jittered)).as("drawn per worker, not once for all").hasSizeGreaterThan(1);
		assertThat(requestLimits(100, 0)).containsOnly(100L);
		assertThat(requestLimits(0, 1000)).as("no max-requests: never recycled").containsOnlyNulls();
	}

	private List<Long> requestLimits(long maxRequests, long jitter) throws Exception {
		MasterSettings settings = new MasterSettings(8, 64, Duration.ofSeconds(30), Duration.ofSeconds(10),
				Duration.ofSeconds(60), maxRequests, jitter, ReloadStrategy.ROLLING, List.of(),
				new ListenAddress("", 0, 128), List.of());
		Master master = new Master(settings, new FakeLauncher(), this::loadSettings, () -> {
		}, this.clock::get, 42);
		master.turn(0);
		return master.status().workers().stream().map(MasterStatus.WorkerStatus::maxRequests).toList();
	}

	@Test
	void reopenLogsReopensTheMastersAndSignalsEveryWorker() throws Exception {
		startAllReady();
		this.master.submit(new Command.ReopenLogs(Source.SIGNAL));
		turn();
		assertThat(this.logReopens).hasValue(1);
		assertThat(this.launcher.launched).allSatisfy((p) -> assertThat(p.signals).containsExactly(Signal.USR1));
	}

	@Test
	void reopenLogsReachesABootingWorkerOnlyOnceItIsReady() throws Exception {
		turn();
		this.master.submit(new Command.ReopenLogs(Source.SIGNAL));
		turn();
		assertThat(this.launcher.launched).allSatisfy((p) -> assertThat(p.signals).isEmpty());
		ready(this.launcher.launched.get(0));
		assertThat(this.launcher.launched.get(0).signals).containsExactly(Signal.USR1);
		assertThat(this.launcher.launched.get(1).signals).isEmpty();
	}

	@Test
	void aReloadReadsItsConfigurationOffTheMasterThreadWhichKeepsServingMeanwhile() throws Exception {
		CountDownLatch reading = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		List<String> readOn = new CopyOnWriteArrayList<>();
		Master master = new Master(this.settings, this.launcher, () -> {
			readOn.add(Thread.currentThread().getName());
			reading.countDown();
			try {
				release.await(30, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			return this.settings;
		}, () -> {
		}, this.clock::get, 42);
		try {
			master.turn(0);
			this.launcher.launched.forEach((process) -> master.submit(new Command.WorkerReady(process.spec.id())));
			master.turn(0);
			List<Reply.Outcome> replies = new CopyOnWriteArrayList<>();
			master.submit(new Command.Reload(null, Source.HTTP, replies::add));
			master.turn(0);
			assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
			assertThat(readOn).containsExactly("prefork-reload-settings");
			master.submit(new Command.Scale(3, 0, Source.HTTP, replies::add));
			master.submit(new Command.Reload(null, Source.HTTP, replies::add));
			master.turn(0);
			assertThat(replies).as("the loop answers while the configuration is read").hasSize(2);
			assertThat(replies.get(0).result()).isEqualTo(Reply.Result.ACCEPTED);
			assertThat(replies.get(1).message()).startsWith("a reload is reading its configuration");
			assertThat(master.status().generation()).isEqualTo(1);
			release.countDown();
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
			while (master.status().generation() == 1 && System.nanoTime() < deadline) {
				master.turn(100);
			}
			assertThat(master.status().generation()).isEqualTo(2);
			assertThat(replies.get(2).message()).startsWith("reload starting generation 2 with 3 workers");
		}
		finally {
			release.countDown();
		}
	}

	@Test
	void aReloadWhoseConfigurationReadThrowsAnErrorIsRefusedAndTheNextOneRuns() throws Exception {
		AtomicInteger reads = new AtomicInteger();
		Master master = new Master(this.settings, this.launcher, () -> {
			if (reads.incrementAndGet() == 1) {
				throw new NoClassDefFoundError("org/example/Missing");
			}
			return this.settings;
		}, () -> {
		}, this.clock::get, 42).readingSettingsOn(Runnable::run);
		master.turn(0);
		this.launcher.launched.forEach((process) -> master.submit(new Command.WorkerReady(process.spec.id())));
		master.turn(0);
		master.submit(new Command.Reload(null, Source.SIGNAL));
		master.turn(0);
		assertThat(master.status().lastReload().message()).contains("could not read the configuration")
			.contains("org/example/Missing");
		master.submit(new Command.Reload(null, Source.SIGNAL));
		master.turn(0);
		assertThat(master.status().generation()).isEqualTo(2);
	}

	@Test
	void aStopWhileTheConfigurationIsReadCancelsTheReload() throws Exception {
		List<Reply.Outcome> replies = new CopyOnWriteArrayList<>();
		AtomicReference<Runnable> pendingRead = new AtomicReference<>();
		Master master = new Master(this.settings, this.launcher, this::loadSettings, () -> {
		}, this.clock::get, 42).readingSettingsOn(pendingRead::set);
		master.turn(0);
		this.launcher.launched.forEach((process) -> master.submit(new Command.WorkerReady(process.spec.id())));
		master.turn(0);
		master.submit(new Command.Reload(null, Source.HTTP, replies::add));
		master.submit(new Command.Stop(StopMode.GRACEFUL, Source.SIGNAL));
		master.turn(0);
		pendingRead.get().run();
		master.turn(0);
		assertThat(replies).singleElement()
			.satisfies((reply) -> assertThat(reply.message()).isEqualTo("the reload was cancelled: the master is stopping"));
		assertThat(master.status().generation()).isEqualTo(1);
	}

	@Test
	void workersOfTheOldGenerationAreJudgedByTheirOwnTimeoutDuringAReload() throws Exception {
		startAllReady();
		this.nextSettings = MasterSettings.of(2, Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(60));
		reload(ReloadStrategy.ROLLING);
		advance(Duration.ofSeconds(20));
		assertThat(this.launcher.launched.subList(0, 2)).as("silent for 20 s, their timeout is still 30 s")
			.allSatisfy((process) -> assertThat(process.signals).isEmpty());
		advance(Duration.ofSeconds(11));
		assertThat(this.launcher.launched.subList(0, 2)).as("silent for 31 s")
			.allSatisfy((process) -> assertThat(process.signals).containsExactly(Signal.QUIT));
	}

	@Test
	void aReloadAppliesTheNewMinReadyWorkers() throws Exception {
		startAllReady();
		assertThat(this.master.status().minReadyWorkers()).isEqualTo(1);
		MasterSettings s = this.settings;
		this.nextSettings = new MasterSettings(s.workers(), s.maxWorkers(), s.timeout(), s.gracefulTimeout(),
				s.bootTimeout(), s.maxRequests(), s.maxRequestsJitter(), s.reloadStrategy(), s.workerJvmArgs(), s.listen(),
				s.gpus(), s.budget(), 2);
		reload(ReloadStrategy.ROLLING);
		assertThat(this.master.status().minReadyWorkers()).isEqualTo(2);
	}

	@Test
	void aWorkerOnlyMovesForwardInItsLife() {
		Worker worker = new Worker(1, 0, 1, this.settings,
				new FakeProcess(new WorkerLauncher.WorkerSpec(1, 0, 1, this.settings), 1000), 0, Long.MAX_VALUE);
		worker.moveTo(WorkerState.WARMING);
		worker.moveTo(WorkerState.READY);
		assertThatIllegalStateException().isThrownBy(() -> worker.moveTo(WorkerState.WARMING))
			.withMessageContaining("cannot go from ready to warming");
		worker.moveTo(WorkerState.DRAINING);
		worker.moveTo(WorkerState.DRAINING);
		assertThatIllegalStateException().isThrownBy(() -> worker.moveTo(WorkerState.READY));
	}

	private MasterSettings loadSettings() throws SettingsLoader.InvalidSettingsException {
		this.loads.incrementAndGet();
		if (this.nextSettings == null) {
			throw new SettingsLoader.InvalidSettingsException("prefork.workers must be at least 1", null);
		}
		return this.nextSettings;
	}

	private void reload(ReloadStrategy strategy) throws Exception {
		this.master.submit(new Command.Reload(strategy, Source.SIGNAL));
		turn();
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
