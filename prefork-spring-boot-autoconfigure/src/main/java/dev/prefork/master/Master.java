package dev.prefork.master;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;

import dev.prefork.protocol.ExitCodes;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The pre-fork master loop. One thread runs {@link #run()} and owns every bit of mutable
 * state; everybody else talks to it through {@link #submit(Command)}.
 *
 * <p>
 * Each turn: handle the queued commands, kill workers that timed out, make the workers
 * match the target (count, generation, recycling), publish a {@link MasterStatus}.
 *
 * <p>
 * Replacing a worker, for a reload or a recycle, is always readiness-gated: the new worker
 * is started next to the old one, in the same slot, and the old one is stopped gracefully
 * only once the new one is ready. A new worker that fails to boot leaves the old one serving.
 *
 * <p>
 * The master decides; its parts keep their own state: the {@link Plan} (what to run), the
 * {@link WorkerPool} (each worker's life), {@link Reload}, {@link Upgrade}, {@link Shutdown}
 * and {@link RespawnBackoff}.
 */
public final class Master {

	private static final Log logger = LogFactory.getLog(Master.class);

	private static final long TURN_MILLIS = 200;

	private final Runnable reopenOwnLogs;

	private final LongSupplier clock;

	private final long pid;

	private final BlockingQueue<Command> commands = new LinkedBlockingQueue<>();

	private final WorkerPool workers;

	private final RespawnBackoff backoff = new RespawnBackoff();

	private final Upgrade upgrade;

	private final long startedAt;

	private final Plan plan;

	private MasterState state = MasterState.STARTING;

	private final Reload reload;

	private final Shutdown shutdown = new Shutdown();

	private volatile MasterStatus status;

	/** Observers may be added while the loop runs with its events held ({@link #holdEvents}). */
	private final List<MasterEvents> observers = new CopyOnWriteArrayList<>();

	/** Every observer, each guarded: one that throws is logged and skipped. */
	private final GuardedEvents events = GuardedEvents.of(this.observers);

	/** The target worker count observers were last told about. */
	private int announcedTarget;

	/**
	 * Creates a master.
	 * @param settings validated settings
	 * @param launcher starts worker processes
	 * @param settingsLoader reads the configuration again for a reload
	 * @param reopenOwnLogs reopens the master's own log files
	 * @param clock monotonic milliseconds
	 * @param pid the master's own pid, for the status
	 */
	public Master(MasterSettings settings, WorkerLauncher launcher, SettingsLoader settingsLoader,
			Runnable reopenOwnLogs, LongSupplier clock, long pid) {
		this.plan = new Plan(settings);
		this.workers = new WorkerPool(launcher, this.events);
		this.reload = new Reload(settingsLoader, this::submit, this.events);
		this.reopenOwnLogs = reopenOwnLogs;
		this.clock = clock;
		this.pid = pid;
		this.upgrade = new Upgrade(pid);
		this.startedAt = clock.getAsLong();
		publishStatus();
	}

	// What a master may be given before run(), each returning this master.

	/** Lets this master start a new master on USR2. */
	public Master upgradeWith(UpgradeLauncher launcher) {
		this.upgrade.startWith(launcher);
		return this;
	}

	/** Lets this master name OOM kills: {@code counter} is the kernel's count of them, -1 if unknown. */
	public Master countingOomKills(LongSupplier counter) {
		this.workers.countOomKillsWith(counter);
		return this;
	}

	/** Lets this master apply {@code prefork.max-worker-memory}: a process's resident bytes by pid, -1 if unknown. */
	public Master measuringMemory(LongUnaryOperator residentBytes) {
		this.workers.measureMemoryWith(residentBytes);
		return this;
	}

	/** Reads a reload's configuration on {@code executor} instead of a thread of its own (tests). */
	Master readingSettingsOn(Executor executor) {
		this.reload.readOn(executor);
		return this;
	}

	/** Marks this master as the new master of an upgrade started by {@code oldMasterPid}, until promoted. */
	public Master asNewMasterOf(long oldMasterPid) {
		this.upgrade.newMasterOf(oldMasterPid);
		return this;
	}

	/** Reports what happens to {@code events}, after the observers added before. */
	public Master observedBy(MasterEvents events) {
		this.observers.add(events);
		return this;
	}

	/**
	 * Holds back what this master reports to its observers, but {@code starting}, until
	 * {@link #releaseEvents}: a master may run while the observers are still being made (its
	 * metrics, health, an upgrade's old master waiting for it), and each must see every event.
	 * @return this master
	 */
	public Master holdEvents() {
		this.events.hold();
		return this;
	}

	/**
	 * Passes the events held back to the observers there are now, in order, and later ones at
	 * once: on the master thread, as every other event (a user's hooks run one at a time).
	 */
	public void releaseEvents() {
		submit(new Command.ReleaseEvents());
	}

	/**
	 * After {@link #run} returned: passes on what is still held back (the loop ended before
	 * {@link #releaseEvents} reached it), but {@code ready}, so that the user's hooks hear of
	 * the workers' exits and the master's.
	 */
	public void releaseEventsAfterRun() {
		this.events.release(false);
	}

	/** Queues a command for the master thread. Safe from any thread, including signal handlers. */
	public void submit(Command command) {
		this.commands.add(command);
	}

	/** The status as of the end of the master's last turn. */
	public MasterStatus status() {
		return this.status;
	}

	/**
	 * Runs the master until every worker is gone.
	 * @return the exit code for the master process
	 */
	public int run() {
		logger.info("Master (pid " + this.pid + ") starting " + MasterStatus.workers(this.plan.targetWorkers)
				+ ((this.upgrade.oldMasterPid() != null)
						? " as the new master of an upgrade from pid " + this.upgrade.oldMasterPid() : ""));
		WorkerBudget budget = this.plan.settings.budget();
		logger.info("Sizing workers: " + budget.memory().describe(this.plan.targetWorkers)
				+ budget.cpu().describe(this.plan.targetWorkers));
		this.announcedTarget = this.plan.targetWorkers;
		this.events.starting(this.plan.settings);
		try {
			// The first turn spawns at once: clients wait for the first worker.
			turn(0);
			while (this.state != MasterState.STOPPED) {
				turn(TURN_MILLIS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			logger.warn("Master thread interrupted; killing all workers");
			this.workers.killAllNow();
			this.shutdown.failWith(1);
		}
		catch (RuntimeException | Error ex) {
			logger.error("Master loop failed; killing all workers", ex);
			this.workers.killAllNow();
			throw ex;
		}
		finally {
			this.state = MasterState.STOPPED;
			publishStatus();
		}
		logger.info("Master (pid " + this.pid + ") stopped");
		this.events.exited(this.shutdown.exitCode());
		return this.shutdown.exitCode();
	}

	/**
	 * One turn of the loop.
	 * @param waitMillis how long to wait for the first command
	 */
	void turn(long waitMillis) throws InterruptedException {
		handleCommands(waitMillis);
		announceTargetChange();
		long now = now();
		killHungWorkers(now);
		if (isServing()) {
			respawnEmptySlots(now);
			if (this.reload.running() != null) {
				advanceReload(now);
			}
			else if (!this.reload.isBusy()) {
				recycleOneWorker(now);
			}
			this.workers.retireAbove(this.plan.targetWorkers, now);
		}
		this.workers.releaseUnusedListeners(this.plan.settings.listen());
		publishStatus();
	}

	private boolean isServing() {
		return this.state == MasterState.STARTING || this.state == MasterState.RUNNING
				|| this.state == MasterState.RELOADING;
	}

	private void handleCommands(long waitMillis) throws InterruptedException {
		Command command = this.commands.poll(waitMillis, TimeUnit.MILLISECONDS);
		while (command != null) {
			handle(command);
			command = this.commands.poll();
		}
	}

	private void handle(Command command) {
		if (command instanceof Command.Control control) {
			String signal = (control.source() == Source.SIGNAL) ? control.bySignal().signal().orElse(null) : null;
			this.events.command(control.name(), control.source(), signal);
		}
		command.dispatchTo(this.handler);
	}

	/** The master's handler of each command: adding a command without one does not compile. */
	private final Command.Handler handler = new Command.Handler() {

		@Override
		public void stop(Command.Stop stop) {
			handleStop(stop);
		}

		@Override
		public void reload(Command.Reload reload) {
			handleReload(reload);
		}

		@Override
		public void scale(Command.Scale scale) {
			handleScale(scale);
		}

		@Override
		public void reopenLogs(Command.ReopenLogs reopen) {
			handleReopenLogs(reopen);
		}

		@Override
		public void upgrade(Command.Upgrade command) {
			Master.this.upgrade.start(command, Master.this.state, Master.this.plan.settings,
					Master.this.events::upgradeStarting, Master.this::submit, now());
		}

		@Override
		public void stopWorkers(Command.StopWorkers stopWorkers) {
			handleStopWorkers(stopWorkers);
		}

		@Override
		public void reloadLoaded(Command.ReloadLoaded loaded) {
			if (Master.this.reload.loaded(loaded, Master.this.plan, Master.this.state, now())) {
				Master.this.state = MasterState.RELOADING;
			}
		}

		@Override
		public void upgradeReady(Command.UpgradeReady ready) {
			Master.this.upgrade.ready(ready.pid(), now());
		}

		@Override
		public void upgradeExited(Command.UpgradeExited exited) {
			handleUpgradeExited(exited);
		}

		@Override
		public void releaseEvents(Command.ReleaseEvents release) {
			Master.this.events.release(true);
		}

		@Override
		public void promoted(Command.Promoted promoted) {
			if (Master.this.upgrade.promoted(promoted.oldMasterPid())) {
				Master.this.events.promoted(promoted.oldMasterPid());
			}
		}

		@Override
		public void workerWarming(Command.WorkerWarming warming) {
			Master.this.workers.warming(warming, now());
		}

		@Override
		public void workerReady(Command.WorkerReady ready) {
			handleReady(ready);
		}

		@Override
		public void workerHeartbeat(Command.WorkerHeartbeat heartbeat) {
			Master.this.workers.heartbeat(heartbeat, now());
		}

		@Override
		public void workerExited(Command.WorkerExited exited) {
			handleExited(exited);
		}

	};

	private void handleStop(Command.Stop stop) {
		String what = stop.mode().name().toLowerCase() + " stop (source: " + stop.source() + ")";
		String redundant = this.shutdown.redundancy(stop.mode());
		if (redundant != null) {
			logger.info("Already stopping; ignoring " + what);
			stop.reply().send(Reply.Outcome.conflict(redundant));
			return;
		}
		logger.info("Accepted " + what);
		stop.reply().send(Reply.Outcome.accepted(stop.mode().name().toLowerCase() + " stop of the master and its "
				+ this.workers.size() + " worker(s) started"));
		beginStop(stop.mode(), 0);
	}

	private void handleReload(Command.Reload command) {
		if (isServing()) {
			this.reload.request(command, this.state == MasterState.STARTING, now());
		}
		else {
			logger.info("Stopping; ignoring reload (source: " + command.source() + ")");
			command.reply().send(Reply.Outcome.conflict("the master is " + this.state));
		}
	}

	private void handleScale(Command.Scale scale) {
		int wanted = (scale.workers() != null) ? scale.workers() : this.plan.targetWorkers + scale.delta();
		String refused = this.plan.settings.scaleProblem(wanted, this.plan.targetWorkers);
		if (!isServing()) {
			scale.reply().send(Reply.Outcome.conflict("the master is " + this.state));
		}
		else if (refused != null) {
			logger.warn("Scaling (source: " + scale.source() + ") refused: " + refused);
			scale.reply().send(Reply.Outcome.invalid(refused));
		}
		else {
			String change = (wanted != this.plan.targetWorkers) ? "from " + this.plan.targetWorkers + " to " + wanted
					+ " workers" : "nothing to do: already " + MasterStatus.workers(wanted);
			logger.info("Scaling " + change + " (source: " + scale.source() + ")");
			this.plan.targetWorkers = wanted;
			this.plan.workersStopped = false;
			scale.reply().send(Reply.Outcome.accepted("scaling " + change));
		}
	}

	private void handleReopenLogs(Command.ReopenLogs reopen) {
		logger.info("Reopening log files (source: " + reopen.source() + ")");
		this.reopenOwnLogs.run();
		this.workers.reopenLogs();
		reopen.reply().send(Reply.Outcome.accepted("log files reopened in the master; " + this.workers.size()
				+ " worker(s) asked to reopen theirs"));
	}

	private void handleStopWorkers(Command.StopWorkers command) {
		String what = "stop of all workers (source: " + command.source() + ")";
		if (this.state == MasterState.STARTING || !isServing()) {
			logger.warn("Ignoring " + what + ": the master is " + this.state);
			command.reply().send(Reply.Outcome.conflict("the master is " + this.state));
			return;
		}
		if (this.plan.targetWorkers == 0) {
			logger.info("Ignoring " + what + ": no workers are running");
			command.reply().send(Reply.Outcome.conflict("no workers are running"));
			return;
		}
		long now = now();
		if (this.reload.running() != null) {
			abortReload("all workers are being stopped (source: " + command.source() + ")", now);
		}
		this.reload.cancelWaiting();
		logger.info("Stopping " + MasterStatus.all(this.plan.targetWorkers) + " gracefully (source: " + command.source()
				+ "); the master keeps the listening socket. HUP or TTIN starts workers again"
				+ (!this.upgrade.isRunning() ? ". No new master is running: nothing serves until then" : ""));
		command.reply().send(Reply.Outcome.accepted("stopping " + MasterStatus.all(this.plan.targetWorkers)
				+ " gracefully; the master keeps the listening socket"));
		this.plan.targetWorkers = 0;
		this.plan.workersStopped = true;
		this.workers.active().forEach((worker) -> this.workers.retireGracefully(worker, ExitReason.GRACEFUL, now));
	}

	private void handleUpgradeExited(Command.UpgradeExited exited) {
		if (this.upgrade.exited(exited.pid(), exited.status()) && this.plan.workersStopped && isServing()) {
			this.plan.workersStopped = false;
			this.plan.targetWorkers = this.plan.settings.workers();
			logger.info("Starting " + MasterStatus.workers(this.plan.targetWorkers) + " again, stopped during the upgrade");
		}
	}

	private void handleReady(Command.WorkerReady ready) {
		long now = now();
		Worker worker = this.workers.ready(ready, now);
		if (worker == null) {
			return;
		}
		Reload.Run reloading = this.reload.running();
		boolean waitForAll = reloading != null && reloading.strategy() == ReloadStrategy.ALL_AT_ONCE
				&& worker.generation == reloading.generation();
		if (worker.replaces != null && !waitForAll) {
			this.workers.retireReplaced(worker, now);
		}
		if (this.state == MasterState.STARTING && this.workers.count(WorkerState.READY) >= this.plan.targetWorkers) {
			this.state = MasterState.RUNNING;
			logger.info(((this.plan.targetWorkers == 1) ? "The worker is" : "All " + this.plan.targetWorkers + " workers are")
					+ " ready " + MasterStatus.seconds(now - this.startedAt)
					+ " s after start");
			this.events.ready(this.plan.targetWorkers);
			this.reload.startQueued(now);
		}
	}

	/** The one place where workers leave the table. */
	private void handleExited(Command.WorkerExited exited) {
		Worker worker = this.workers.remove(exited.workerId()).orElse(null);
		if (worker == null) {
			return;
		}
		long now = now();
		ExitStatus status = exited.status();
		ExitReason reason = this.workers.exitReason(worker, status);
		this.events.workerExited(worker.slot, worker.pid(), reason, status);
		if (worker.retireReason != null) {
			logger.info(worker + " exited: " + reason + " (" + status + ")");
		}
		else if (worker.isBooting()) {
			String why = (reason == ExitReason.OOM_KILLED) ? status + ", by the kernel's OOM killer" : status.toString();
			bootFailed(worker, why, now, status);
		}
		else {
			WorkerPool.reportCrash(worker, reason, status, now);
			this.backoff.crashed(worker, now);
			scheduleRespawn(worker.slot, now);
		}
		if (this.state == MasterState.STOPPING && this.workers.isEmpty()) {
			this.state = MasterState.STOPPED;
		}
	}

	private void bootFailed(Worker worker, String why, long now, ExitStatus status) {
		String failure = worker + " failed to boot (" + why + ")";
		if (this.state == MasterState.STARTING) {
			logger.error(failure + "; its log above says why. Stopping the master instead of respawning workers that "
					+ "cannot boot.");
			boolean protocolCode = status.code() == ExitCodes.BOOT_ERROR || status.code() == ExitCodes.APP_LOAD_ERROR;
			beginStop(StopMode.QUICK, protocolCode ? status.code() : ExitCodes.BOOT_ERROR);
		}
		else if (this.reload.isStarting(worker)) {
			abortReload(failure, now);
		}
		else if (worker.replaces != null) {
			logger.error(failure + "; " + worker.replaces + " keeps serving and is recycled again in "
					+ MasterSettings.RECYCLE_RETRY.toSeconds() + " s");
			worker.replaces.recycleNotBefore = now + MasterSettings.RECYCLE_RETRY.toMillis();
		}
		else {
			logger.error(failure);
			scheduleRespawn(worker.slot, now);
		}
	}

	/** The slot's worker failed: it is respawned after a back-off, unless the slot is gone or taken. */
	private void scheduleRespawn(int slot, long now) {
		if (slot < this.plan.targetWorkers && this.workers.active(slot).isEmpty()) {
			this.backoff.failed(slot, now);
		}
	}

	private void killHungWorkers(long now) {
		this.workers.killHung(now).forEach((worker, late) -> {
			if (this.reload.isStarting(worker)) {
				abortReload(worker + " was not ready within " + late, now);
			}
		});
		if (this.state == MasterState.STOPPING && this.shutdown.givesUp(this.workers, now)) {
			this.state = MasterState.STOPPED;
		}
	}

	/**
	 * Every slot below the target has a worker, unless its respawn is backing off. A start on
	 * a busy box ({@link CpuShare#headStart}) gives the first worker, which clients wait for,
	 * a head start (not in the new master of an upgrade: its old master serves them): the
	 * others boot once it is ready. Booting beside its warm-up would take
	 * the processors the warm-up needs (2 warm-up requests in 5 s instead of 10,000 on the
	 * sample, 2 cores) and delay the first request as much.
	 */
	private void respawnEmptySlots(long now) {
		boolean headStart = this.state == MasterState.STARTING && this.upgrade.oldMasterPid() == null
				&& this.plan.settings.budget().cpu().headStart(this.plan.targetWorkers)
				&& this.workers.count(WorkerState.READY) == 0;
		long mayBoot = headStart ? 1 - this.workers.count(WorkerState.BOOTING) - this.workers.count(WorkerState.WARMING)
				: Long.MAX_VALUE;
		for (int slot = 0; slot < this.plan.targetWorkers && isServing() && mayBoot > 0; slot++) {
			if (this.workers.active(slot).isEmpty() && this.backoff.mayRespawn(slot, now)) {
				spawn(slot, null, null, spawnReason(slot), now);
				mayBoot--;
			}
		}
	}

	/** Why an empty slot gets a worker, for the spawn counter. */
	private String spawnReason(int slot) {
		if (this.state == MasterState.STARTING) {
			return (this.upgrade.oldMasterPid() != null) ? "upgrade" : "start";
		}
		if (this.reload.running() != null) {
			return "reload";
		}
		return this.backoff.hasFailed(slot) ? "respawn" : "scale";
	}

	private void advanceReload(long now) {
		if (this.reload.advance(this.workers, this.plan.targetWorkers,
				() -> this.workers.hasRoomForAnother(this.plan.settings.budget().memory(), this.plan.targetWorkers),
				(slot, old) -> spawn(slot, old, ExitReason.GRACEFUL, "reload", now), now)) {
			this.state = MasterState.RUNNING;
		}
	}

	private void abortReload(String failure, long now) {
		this.reload.abort(failure, this.plan, this.workers, now);
		this.state = MasterState.RUNNING;
	}

	/** Replaces, one at a time, a worker that is due (see {@link WorkerPool#dueForReplacement}). */
	private void recycleOneWorker(long now) {
		if (this.state != MasterState.RUNNING
				|| this.workers.view().stream().anyMatch((w) -> w.replaces != null || w.isBooting())) {
			return;
		}
		long heapNow = this.plan.settings.budget().resourcesFor(this.plan.targetWorkers).maxHeapBytes();
		for (Worker worker : this.workers.active()) {
			ExitReason due = (worker.slot < this.plan.targetWorkers) ? WorkerPool.dueForReplacement(worker, heapNow, now)
					: null;
			if (due != null) {
				spawn(worker.slot, worker, due, due.spawnReason(), now);
				return;
			}
		}
	}

	/**
	 * Starts a worker in {@code slot}.
	 * @param replaces the worker it replaces once ready, or {@code null}
	 * @param replaceReason why the replaced worker then stops
	 * @param reason why it is spawned, for the spawn counter
	 */
	private void spawn(int slot, Worker replaces, ExitReason replaceReason, String reason, long now) {
		// Clients wait for the first workers: at the first start (staggered, so some boot while
		// others serve) or with every worker gone; unless an old master of an upgrade serves them.
		boolean nobodyServes = (this.state == MasterState.STARTING || this.workers.count(WorkerState.READY) == 0)
				&& this.upgrade.oldMasterPid() == null;
		try {
			Worker worker = this.workers.spawn(slot, this.plan.generation, this.plan.settings, this.plan.targetWorkers,
					nobodyServes, this::submit, now);
			worker.replaces = replaces;
			worker.replaceReason = replaceReason;
			this.events.workerSpawned(slot, reason);
		}
		catch (IOException ex) {
			logger.error("Could not start worker " + slot + ": " + ex.getMessage());
			if (this.state == MasterState.STARTING) {
				beginStop(StopMode.QUICK, ExitCodes.BOOT_ERROR);
			}
			else if (this.reload.running() != null) {
				abortReload("could not start worker " + slot + ": " + ex.getMessage(), now);
			}
			else {
				this.backoff.couldNotStart(slot, now);
				if (replaces != null) {
					replaces.recycleNotBefore = now + MasterSettings.RECYCLE_RETRY.toMillis();
				}
			}
		}
	}

	private void beginStop(StopMode mode, int exitCode) {
		if (this.state != MasterState.STOPPING) {
			this.events.stopping();
		}
		this.state = MasterState.STOPPING;
		this.reload.cancelAll();
		this.shutdown.begin(mode, exitCode, this.plan.settings.gracefulTimeout(), this.workers, now());
		if (this.workers.isEmpty()) {
			this.state = MasterState.STOPPED;
		}
	}

	/** Tells observers about a new worker count before workers are started or stopped for it. */
	private void announceTargetChange() {
		boolean serving = this.state == MasterState.RUNNING || this.state == MasterState.RELOADING;
		if (this.announcedTarget != this.plan.targetWorkers && serving) {
			this.events.workersChanged(this.announcedTarget, this.plan.targetWorkers);
			this.announcedTarget = this.plan.targetWorkers;
		}
	}

	private void publishStatus() {
		long now = now();
		MasterState shownState = (this.state == MasterState.RUNNING && this.upgrade.isRunning())
				? MasterState.UPGRADING : this.state;
		this.status = new MasterStatus(this.pid, shownState, this.plan.generation, this.plan.targetWorkers,
				this.plan.settings.minReadyWorkers(), this.workers.statuses(now), this.reload.lastReport(),
				this.upgrade.status(now), this.upgrade.oldMasterPid(), this.shutdown.exitCode(),
				this.plan.settings.budget().memory().status(this.plan.targetWorkers));
	}

	private long now() {
		return this.clock.getAsLong();
	}

}
