package dev.prefork.master;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import dev.prefork.master.FakeLauncher.FakeProcess;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The master divides memory and processors among its workers: 2 GiB, 4 processors, the
 * master's 200 MiB and 200 MiB of non-heap memory per worker.
 */
class MasterBudgetTests {

	private static final long MIB = 1024 * 1024;

	private static final MemoryBudget TWO_GIB = new MemoryBudget(2048 * MIB, "cgroup memory.max", 200 * MIB, 200 * MIB,
			0.75, 64 * MIB, null, -1);

	private final AtomicLong clock = new AtomicLong(1_000_000);

	private final FakeLauncher launcher = new FakeLauncher();

	private final AtomicLong oomKills = new AtomicLong(3);

	private final Map<Long, Long> resident = new HashMap<>();

	private final List<String> exits = new ArrayList<>();

	private MasterSettings settings = budgeted(2, new WorkerBudget(TWO_GIB, new CpuShare(4, true, null, false, false), 0, 0));

	private MasterSettings nextSettings = this.settings;

	private Master master;

	private static MasterSettings budgeted(int workers, WorkerBudget budget) {
		return MasterSettings.of(workers, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(60))
			.withBudget(budget);
	}

	private void start() throws Exception {
		this.master = new Master(this.settings, this.launcher, () -> this.nextSettings, () -> {
		}, this.clock::get, 42).readingSettingsOn(Runnable::run)
			.countingOomKills(this.oomKills::get)
			.measuringMemory((pid) -> this.resident.getOrDefault(pid, 100 * MIB))
			.observedBy(new MasterEvents() {
				@Override
				public void workerExited(int slot, long pid, ExitReason reason, ExitStatus status) {
					MasterBudgetTests.this.exits.add(slot + ":" + reason);
				}
			});
		turn();
		this.launcher.launched.forEach(this::submitReady);
		turn();
	}

	@Test
	void heapsFillTheirShareOfTheLimit() {
		assertThat(TWO_GIB.heapFor(2)).as("75 % of the limit would be 768 MiB each").isEqualTo(724 * MIB);
		assertThat(TWO_GIB.heapFor(6)).isEqualTo(108 * MIB);
		assertThat(TWO_GIB.heapFor(1)).as("75 % of the limit").isEqualTo(1536 * MIB);
		assertThat(TWO_GIB.fitProblem(7)).isNull();
		assertThat(TWO_GIB.fitProblem(8)).isEqualTo("8 workers do not fit the memory limit of 2048 MiB (cgroup memory.max): "
				+ "after the master's 200 MiB and 200 MiB of non-heap memory per worker, each would get a heap of 31 MiB, "
				+ "less than prefork.memory.min-worker-heap (64 MiB)");
	}

	@Test
	void aHeapOptionOfTheUsersIsCheckedNotChanged() {
		MemoryBudget user = new MemoryBudget(2048 * MIB, "cgroup memory.max", 200 * MIB, 200 * MIB, 0.75, 64 * MIB,
				"-Xmx1g", 1024 * MIB);
		assertThat(user.heapOptionFor(2)).isNull();
		assertThat(user.heapFor(3)).isEqualTo(1024 * MIB);
		assertThat(user.fitProblem(1)).isNull();
		assertThat(user.fitProblem(2)).isEqualTo("2 workers with -Xmx1g need 2648 MiB (the master's 200 MiB + 2 × (1024 MiB "
				+ "heap + 200 MiB non-heap)), more than the memory limit of 2048 MiB (cgroup memory.max)");
		MemoryBudget percentage = new MemoryBudget(2048 * MIB, "x", 0, 0, 0.75, 0, "-XX:MaxRAMPercentage=50", -1);
		assertThat(percentage.fitProblem(64)).as("cannot be told").isNull();
		assertThat(MemoryBudget.NONE.fitProblem(1000)).isNull();
		assertThat(MemoryBudget.NONE.heapOptionFor(2)).isNull();
	}

	@Test
	void processorsAndTomcatThreadsAreShared() {
		CpuShare cpu = new CpuShare(4, true, null, false, false);
		assertThat(List.of(cpu.processorsFor(1), cpu.processorsFor(2), cpu.processorsFor(3), cpu.processorsFor(8)))
			.containsExactly(4, 2, 1, 1);
		assertThat(List.of(cpu.requestThreadsFor(1), cpu.requestThreadsFor(2), cpu.requestThreadsFor(6),
				cpu.requestThreadsFor(20))).containsExactly(200, 100, 34, 25);
		assertThat(new CpuShare(4, true, "-XX:ActiveProcessorCount=4", true, false).processorsFor(2)).isEqualTo(-1);
		assertThat(new CpuShare(4, true, null, true, false).requestThreadsFor(2)).isEqualTo(-1);
		assertThat(new CpuShare(4, false, null, false, false).processorsFor(2)).isEqualTo(-1);
	}

	@Test
	void virtualThreadsWithoutPinningHaveACarrierPerProcessorOfTheirShare() {
		CpuShare cpu = new CpuShare(4, true, null, false, false, 0, false);
		assertThat(List.of(cpu.virtualThreadCarriersFor(1), cpu.virtualThreadCarriersFor(2), cpu.virtualThreadCarriersFor(8)))
			.as("JDK 24+: the scheduler's own count, by the processors the worker sees").containsExactly(-1, -1, -1);
		assertThat(CpuShare.carriersPinHere()).as("JDK " + Runtime.version().feature())
			.isEqualTo(Runtime.version().feature() <= 23);
	}

	@Test
	void virtualThreadsThatPinKeepACarrierPerProcessorOfTheMachine() {
		CpuShare cpu = new CpuShare(4, true, null, false, false);
		assertThat(List.of(cpu.virtualThreadCarriersFor(1), cpu.virtualThreadCarriersFor(2), cpu.virtualThreadCarriersFor(8)))
			.as("a worker that sees every processor needs no option").containsExactly(-1, 4, 4);
		assertThat(new CpuShare(4, true, null, false, true).virtualThreadCarriersFor(2)).as("the user's own").isEqualTo(-1);
		assertThat(new CpuShare(4, false, null, false, false).virtualThreadCarriersFor(2)).as("no share").isEqualTo(-1);
		assertThat(new CpuShare(4, true, "-XX:ActiveProcessorCount=1", false, false).virtualThreadCarriersFor(2))
			.as("the user's processor count").isEqualTo(-1);
	}

	@Test
	void workersStartWithTheirShare() throws Exception {
		start();
		assertThat(this.launcher.launched).extracting((process) -> process.spec.resources())
			.containsOnly(new WorkerBudget.WorkerResources("-Xmx724m", 724 * MIB, 2, 4, 100));
		assertThat(this.master.status().memory()).isEqualTo(
				new MasterStatus.MemoryStatus(2048 * MIB, "cgroup memory.max", 724 * MIB, "prefork"));
		assertThat(this.master.status().workers()).extracting(MasterStatus.WorkerStatus::maxHeapBytes)
			.containsOnly(724 * MIB);
	}

	@Test
	void scaleUpThatDoesNotFitIsRefusedAndChangesNothing() throws Exception {
		start();
		CompletableFuture<Reply.Outcome> outcome = new CompletableFuture<>();
		this.master.submit(new Command.Scale(8, 0, Source.HTTP, outcome::complete));
		turn();
		assertThat(outcome.get().result()).isEqualTo(Reply.Result.INVALID);
		assertThat(outcome.get().message()).startsWith("cannot scale to 8 workers: 8 workers do not fit the memory limit")
			.endsWith("; still 2");
		assertThat(this.launcher.launched).hasSize(2);
		assertThat(this.master.status().targetWorkers()).isEqualTo(2);
	}

	@Test
	void scaleUpStartsSmallerWorkersThenReplacesTheLargerOnesOneAtATime() throws Exception {
		start();
		this.master.submit(new Command.Scale(1, Source.SIGNAL));
		turn();
		FakeProcess third = this.launcher.last();
		assertThat(third.spec.resources().heapOption()).isEqualTo("-Xmx416m");
		ready(third);
		FakeProcess resized = this.launcher.last();
		assertThat(resized.spec.slot()).isZero();
		assertThat(resized.spec.resources().heapOption()).isEqualTo("-Xmx416m");
		ready(resized);
		assertThat(this.launcher.launched.get(0).signals).containsExactly(Signal.TERM);
		exit(this.launcher.launched.get(0), ExitStatus.exited(143));
		assertThat(this.exits).containsExactly("0:resized");
		assertThat(this.launcher.last().spec.slot()).as("then slot 1").isEqualTo(1);
	}

	@Test
	void aReloadKeepsTheScaledCountUnlessPreforkWorkersChanged() throws Exception {
		start();
		this.master.submit(new Command.Scale(1, Source.SIGNAL));
		turn();
		this.master.submit(new Command.Reload(null, Source.SIGNAL));
		turn();
		assertThat(this.master.status().targetWorkers()).as("prefork.workers still 2").isEqualTo(3);
		finishReload();
		this.nextSettings = budgeted(4, this.settings.budget());
		this.master.submit(new Command.Reload(null, Source.SIGNAL));
		turn();
		assertThat(this.master.status().targetWorkers()).as("prefork.workers now 4").isEqualTo(4);
	}

	@Test
	void aReloadWhoseWorkersDoNotFitIsRefused() throws Exception {
		start();
		this.nextSettings = budgeted(8, this.settings.budget());
		CompletableFuture<Reply.Outcome> outcome = new CompletableFuture<>();
		this.master.submit(new Command.Reload(null, Source.HTTP, outcome::complete));
		turn();
		assertThat(outcome.get().result()).isEqualTo(Reply.Result.CONFLICT);
		assertThat(outcome.get().message()).contains("8 workers do not fit");
		assertThat(this.master.status().generation()).isEqualTo(1);
		assertThat(this.master.status().lastReload().result()).isEqualTo("failed");
	}

	@Test
	void aKillByTheOomKillerIsNamedAndOtherKillsAreNot() throws Exception {
		start();
		this.oomKills.incrementAndGet();
		exit(this.launcher.launched.get(1), ExitStatus.killed(9));
		exit(this.launcher.launched.get(0), ExitStatus.killed(9));
		exit(this.launcher.last(), ExitStatus.exited(1));
		assertThat(this.exits).containsExactly("1:oom_killed", "0:crash", "0:boot_failure");
	}

	@Test
	void aWorkerAboveTheMemoryLimitIsReplacedAndAboveTheKillLimitKilled() throws Exception {
		this.settings = this.settings.withBudget(new WorkerBudget(TWO_GIB, CpuShare.NONE, 500 * MIB, 900 * MIB));
		start();
		FakeProcess first = this.launcher.launched.get(0);
		FakeProcess second = this.launcher.launched.get(1);
		this.resident.put((long) first.pid, 600 * MIB);
		this.resident.put((long) second.pid, 950 * MIB);
		heartbeat(first);
		heartbeat(second);
		assertThat(second.signals).as("above the kill limit").containsExactly(Signal.KILL);
		FakeProcess successor = this.launcher.launched.get(2);
		assertThat(successor.spec.slot()).as("readiness-gated replacement of the one above the limit").isZero();
		assertThat(first.signals).isEmpty();
		ready(successor);
		assertThat(first.signals).containsExactly(Signal.TERM);
		exit(second, ExitStatus.killed(9));
		exit(first, ExitStatus.exited(143));
		assertThat(this.exits).containsExactly("1:memory", "0:memory");
	}

	/**
	 * A rolling reload boots the next new worker while the previous one warms up only when the
	 * limit has room for a whole worker (724 MiB heap + 200 MiB) beside what runs now: the
	 * master's 200 MiB and each worker's resident memory (3 × 100 MiB: room; 3 × 400 MiB: none).
	 */
	@Test
	void aRollingReloadBootsTheNextWorkerDuringAWarmUpOnlyWhenTheLimitHasRoom() throws Exception {
		assertThat(launchedAfterTheFirstNewWorkerWarms(100 * MIB)).as("200 + 300 + 924 MiB fit in 2048").isEqualTo(4);
		this.launcher.launched.clear();
		assertThat(launchedAfterTheFirstNewWorkerWarms(400 * MIB)).as("200 + 1200 + 924 MiB do not").isEqualTo(3);
		ready(this.launcher.launched.get(2));
		assertThat(this.launcher.launched).as("the next one once the first is ready").hasSize(4);
	}

	private int launchedAfterTheFirstNewWorkerWarms(long residentEach) throws Exception {
		this.resident.clear();
		start();
		this.launcher.launched.forEach((process) -> this.resident.put((long) process.pid, residentEach));
		this.master.submit(new Command.Reload(null, Source.SIGNAL));
		turn();
		FakeProcess first = this.launcher.last();
		this.resident.put((long) first.pid, residentEach);
		this.master.submit(new Command.WorkerWarming(first.spec.id(), Duration.ofSeconds(30)));
		turn();
		return this.launcher.launched.size();
	}

	/**
	 * prefork.worker.ready-nice: a worker's priority is lowered once its application has started
	 * (warming up, or ready without a warm-up), never while it boots.
	 */
	@Test
	void aWorkerGoesBelowTheMastersPriorityOnlyOnceReady() throws Exception {
		this.settings = this.settings.withBudget(new WorkerBudget(TWO_GIB, new CpuShare(4, true, null, false, false, 10, true),
				0, 0));
		this.nextSettings = this.settings;
		start();
		assertThat(this.launcher.launched).extracting((process) -> process.loweredBy).containsExactly(10, 10);
		this.master.submit(new Command.Reload(null, Source.SIGNAL));
		turn();
		FakeProcess next = this.launcher.last();
		turn();
		assertThat(next.loweredBy).as("booting").isZero();
		this.master.submit(new Command.WorkerWarming(next.spec.id(), Duration.ofSeconds(30)));
		turn();
		assertThat(next.loweredBy).as("warming").isEqualTo(10);
	}

	/**
	 * At start with fewer than two processors a worker, the first worker boots and warms up
	 * alone; the others once it is ready, each with a first start's short warm-up though the
	 * first one may already serve.
	 */
	@Test
	void atStartOnABusyBoxTheFirstWorkerBootsAlone() throws Exception {
		this.settings = budgeted(3, new WorkerBudget(TWO_GIB, new CpuShare(2, true, null, false, false), 0, 0));
		this.master = new Master(this.settings, this.launcher, () -> this.settings, () -> {
		}, this.clock::get, 42);
		turn();
		turn();
		assertThat(this.launcher.launched).as("the first alone").hasSize(1);
		this.master.submit(new Command.WorkerWarming(this.launcher.last().spec.id(), Duration.ofSeconds(5)));
		turn();
		assertThat(this.launcher.launched).as("nothing beside its warm-up").hasSize(1);
		this.master.submit(new Command.WorkerReady(this.launcher.last().spec.id()));
		turn();
		assertThat(this.launcher.launched).as("the others once it is ready").hasSize(3);
		assertThat(this.launcher.launched).extracting((process) -> process.spec.slot()).containsExactly(0, 1, 2);
		assertThat(this.launcher.launched).extracting((process) -> process.spec.nobodyServes()).containsOnly(true);
		assertThat(new CpuShare(6, true, null, false, false).headStart(3)).as("two processors each").isFalse();
		assertThat(new CpuShare(5, true, null, false, false).headStart(3)).isTrue();
		assertThat(new CpuShare(2, false, null, false, false).headStart(3)).as("no share").isFalse();
	}

	@Test
	void winchStopsEveryWorkerAndHupStartsThemSizedAgain() throws Exception {
		start();
		this.master.submit(new Command.StopWorkers(Source.SIGNAL));
		turn();
		exit(this.launcher.launched.get(0), ExitStatus.exited(143));
		exit(this.launcher.launched.get(1), ExitStatus.exited(143));
		assertThat(this.master.status().targetWorkers()).isZero();
		assertThat(this.master.status().memory().workerHeapBytes()).isEqualTo(1536 * MIB);
		this.master.submit(new Command.Reload(null, Source.SIGNAL));
		turn();
		assertThat(this.launcher.launched.subList(2, 4)).extracting((process) -> process.spec.resources().heapOption())
			.containsOnly("-Xmx724m");
	}

	private void finishReload() throws Exception {
		for (int i = 0; i < 10 && this.master.status().state() == MasterState.RELOADING; i++) {
			for (FakeProcess process : List.copyOf(this.launcher.launched)) {
				if (process.spec.generation() == this.master.status().generation()) {
					submitReady(process);
				}
				if (process.signals.contains(Signal.TERM)) {
					this.master.submit(new Command.WorkerExited(process.spec.id(), ExitStatus.exited(143)));
				}
			}
			turn();
		}
		assertThat(this.master.status().state()).isEqualTo(MasterState.RUNNING);
	}

	private void heartbeat(FakeProcess process) throws Exception {
		this.master.submit(new Command.WorkerHeartbeat(process.spec.id(), 1, 0));
		turn();
	}

	private void ready(FakeProcess process) throws Exception {
		submitReady(process);
		turn();
	}

	private void submitReady(FakeProcess process) {
		this.master.submit(new Command.WorkerReady(process.spec.id()));
	}

	private void exit(FakeProcess process, ExitStatus status) throws Exception {
		this.master.submit(new Command.WorkerExited(process.spec.id(), status));
		turn();
	}

	private void turn() throws Exception {
		this.master.turn(0);
	}

}
