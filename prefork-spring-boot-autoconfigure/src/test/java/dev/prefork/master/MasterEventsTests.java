package dev.prefork.master;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What observers (metrics, systemd, server hooks) are told, in order, and GPUs per slot:
 * balanced, stable across respawns, following scaling and reloads.
 */
class MasterEventsTests {

	private final FakeLauncher launcher = new FakeLauncher();

	private MasterSettings settings = withGpus(MasterSettings.of(3, Duration.ofSeconds(30), Duration.ofSeconds(10),
			Duration.ofSeconds(60)), List.of("0", "1"));

	private final Master master = new Master(this.settings, this.launcher, () -> this.settings, () -> {
	}, System::currentTimeMillis, 42).readingSettingsOn(Runnable::run);

	private final List<String> seen = new ArrayList<>();

	@Test
	void observersHearEachStepOnceAndAThrowingOneDoesNotStopTheOthers() throws Exception {
		this.master.observedBy(new MasterEvents() {
			@Override
			public void workerReady(int slot, long pid, Duration bootTime) {
				throw new IllegalStateException("a broken hook");
			}
		}).observedBy(recorder());
		startAllReady();
		submit(new Command.Scale(null, 1, Source.SIGNAL, Reply.NONE));
		readyAll();
		submit(new Command.Reload(null, Source.SIGNAL));
		submit(new Command.Stop(StopMode.GRACEFUL, Source.SIGNAL));
		assertThat(this.seen).containsSubsequence("workerReady 0", "workerReady 1", "workerReady 2", "ready 3",
				"workersChanged 3 4", "workerReady 3", "reloadStarted 2", "stopping");
		assertThat(this.seen).filteredOn("ready 3"::equals).hasSize(1);
		assertThat(this.seen).filteredOn("stopping"::equals).hasSize(1);
		assertThat(this.seen).noneMatch((event) -> event.startsWith("workersChanged 4 0"));
	}

	@Test
	void heldEventsReachObserversAddedBeforeTheReleaseInOrderAndLaterOnesPassAtOnce() throws Exception {
		this.master.holdEvents();
		startAllReady();
		assertThat(this.seen).as("nothing passes while held").isEmpty();
		// An observer made while the loop already runs (the master's metrics, its health).
		this.master.observedBy(recorder());
		this.master.releaseEvents();
		assertThat(this.seen).as("released on the master thread, at its next turn").isEmpty();
		this.master.turn(0);
		// (turn() without run(): the first target is announced after the first turn's events)
		assertThat(this.seen).containsExactly("workerReady 0", "workerReady 1", "workerReady 2", "ready 3",
				"workersChanged 0 3");
		submit(new Command.Scale(null, 1, Source.SIGNAL, Reply.NONE));
		assertThat(this.seen).last().isEqualTo("workersChanged 3 4");
	}

	@Test
	void startingPassesAtOnceWhileEventsAreHeldAndReadyNotAfterTheMasterStopped() {
		List<MasterEvents> observers = new ArrayList<>();
		GuardedEvents events = GuardedEvents.of(observers);
		observers.add(new MasterEvents() {
			@Override
			public void starting(MasterSettings settings) {
				MasterEventsTests.this.seen.add("starting " + settings.workers());
			}

			@Override
			public void stopping() {
				MasterEventsTests.this.seen.add("stopping");
			}

			@Override
			public void ready(int workers) {
				MasterEventsTests.this.seen.add("ready " + workers);
			}
		});
		events.hold();
		events.starting(this.settings);
		events.ready(3);
		events.stopping();
		assertThat(this.seen).containsExactly("starting 3");
		events.release(false);
		assertThat(this.seen).as("once the master stopped, no ready").containsExactly("starting 3", "stopping");
		events.ready(3);
		assertThat(this.seen).as("released: at once").containsExactly("starting 3", "stopping", "ready 3");
	}

	@Test
	void aCommandIsCountedWithTheSignalThatSentItInTheMasterNotInTheSignalHandler() throws Exception {
		List<String> commands = new ArrayList<>();
		this.master.observedBy(new MasterEvents() {
			@Override
			public void command(String command, Source source, String signal) {
				commands.add(command + " " + source + " " + signal);
			}
		});
		startAllReady();
		submit(new Command.Scale(1, Source.SIGNAL));
		submit(new Command.Scale(-1, Source.SIGNAL));
		submit(new Command.Scale(-1, Source.FIFO));
		submit(new Command.ReopenLogs(Source.SIGNAL));
		submit(new Command.Stop(StopMode.QUICK, Source.SIGNAL));
		assertThat(commands).containsExactly("scale signal TTIN", "scale signal TTOU", "scale fifo null",
				"reopen-logs signal USR1", "quick-stop signal INT");
	}

	@Test
	void gpusAreHandedOutPerSlotBalancedAndStable() throws Exception {
		startAllReady();
		assertThat(gpusOfLiveWorkers()).containsExactly("0", "1", "0");
		FakeLauncher.FakeProcess slot1 = this.launcher.launched.get(1);
		submit(new Command.WorkerExited(slot1.spec.id(), ExitStatus.killed(9)));
		this.master.turn(0);
		assertThat(liveInSlot(1)).isNotSameAs(slot1);
		assertThat(liveInSlot(1).spec.gpu()).as("a respawned slot keeps its GPU").isEqualTo("1");
		submit(new Command.Scale(5, 0, Source.SIGNAL, Reply.NONE));
		readyAll();
		assertThat(gpusOfLiveWorkers()).containsExactly("0", "1", "0", "1", "0");
		submit(new Command.Scale(2, 0, Source.SIGNAL, Reply.NONE));
		this.launcher.launched.stream()
			.filter((process) -> process.spec.slot() >= 2)
			.forEach((process) -> this.master.submit(new Command.WorkerExited(process.spec.id(), ExitStatus.exited(143))));
		this.master.turn(0);
		assertThat(this.master.status().workers()).extracting(MasterStatus.WorkerStatus::gpu).containsExactly("0", "1");

		this.settings = withGpus(this.settings, List.of("2", "3", "4"));
		submit(new Command.Reload(null, Source.SIGNAL));
		readyAll();
		readyAll();
		assertThat(this.launcher.launched.stream().filter((process) -> process.spec.generation() == 2))
			.extracting((process) -> process.spec.gpu())
			.as("the reload reads the GPUs again and keeps the 2 workers scaled to at runtime")
			.containsExactlyInAnyOrder("2", "3");
	}

	@Test
	void withoutGpusNobodyGetsOne() {
		MasterSettings none = MasterSettings.of(2, Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(60));
		assertThat(none.gpuOf(0)).isNull();
		assertThat(withGpus(none, List.of("GPU-a")).gpuOf(7)).isEqualTo("GPU-a");
	}

	private FakeLauncher.FakeProcess liveInSlot(int slot) {
		long pid = this.master.status()
			.workers()
			.stream()
			.filter((worker) -> worker.slot() == slot)
			.reduce((first, second) -> second)
			.orElseThrow()
			.pid();
		return this.launcher.launched.stream().filter((process) -> process.pid == pid).findFirst().orElseThrow();
	}

	private List<String> gpusOfLiveWorkers() {
		return this.master.status().workers().stream().map(MasterStatus.WorkerStatus::gpu).toList();
	}

	private MasterEvents recorder() {
		return new MasterEvents() {
			@Override
			public void ready(int workers) {
				MasterEventsTests.this.seen.add("ready " + workers);
			}

			@Override
			public void workersChanged(int from, int to) {
				MasterEventsTests.this.seen.add("workersChanged " + from + " " + to);
			}

			@Override
			public void reloadStarted(int generation) {
				MasterEventsTests.this.seen.add("reloadStarted " + generation);
			}

			@Override
			public void stopping() {
				MasterEventsTests.this.seen.add("stopping");
			}

			@Override
			public void workerReady(int slot, long pid, Duration bootTime) {
				MasterEventsTests.this.seen.add("workerReady " + slot);
			}
		};
	}

	private static MasterSettings withGpus(MasterSettings s, List<String> gpus) {
		return new MasterSettings(s.workers(), s.maxWorkers(), s.timeout(), s.gracefulTimeout(), s.bootTimeout(),
				s.maxRequests(), s.maxRequestsJitter(), s.reloadStrategy(), s.workerJvmArgs(), s.listen(), gpus);
	}

	private void startAllReady() throws Exception {
		this.master.turn(0);
		readyAll();
	}

	private void readyAll() throws Exception {
		this.launcher.launched.forEach((process) -> this.master.submit(new Command.WorkerReady(process.spec.id())));
		this.master.turn(0);
	}

	private void submit(Command command) throws Exception {
		this.master.submit(command);
		this.master.turn(0);
	}

}
