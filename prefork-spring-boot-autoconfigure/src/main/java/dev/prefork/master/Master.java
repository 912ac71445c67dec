package dev.prefork.master;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;

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
 */
public final class Master {

	private static final Log logger = LogFactory.getLog(Master.class);

	private static final long TURN_MILLIS = 200;

	private final WorkerLauncher launcher;

	private final SettingsLoader settingsLoader;

	private final Runnable reopenOwnLogs;

	private final LongSupplier clock;

	private final long pid;

	private final BlockingQueue<Command> commands = new LinkedBlockingQueue<>();

	private final WorkerTable workers = new WorkerTable();

	private final RespawnBackoff backoff = new RespawnBackoff();

	private final Upgrade upgrade;

	private final SplittableRandom random = new SplittableRandom();

	private final long startedAt;

	private MasterSettings settings;

	private MasterState state = MasterState.STARTING;

	private int targetWorkers;

	private int generation = 1;

	private long nextWorkerId = 1;

	private ReloadRun reload;

	private Command.Reload pendingReload;

	private MasterStatus.ReloadReport lastReload;

	/** When the stop in progress gives up waiting and kills. */
	private long stopDeadline = Long.MAX_VALUE;

	private StopMode stopMode;

	private int exitCode;

	private volatile MasterStatus status;

	/** All workers were stopped on purpose (WINCH); see {@link #handleUpgradeExited}. */
	private boolean workersStopped;

	private final List<MasterEvents> observers = new ArrayList<>();

	/** Every observer, each guarded: one that throws is logged and skipped. */
	private final MasterEvents events = GuardedEvents.of(this.observers);

	/** The target worker count observers were last told about. */
	private int announcedTarget;

	private Collection<ListenAddress> listenersInUse = List.of();

	/** The kernel's count of OOM kills in the master's cgroup (or machine), -1 if unknown. */
	private LongSupplier oomKills = () -> -1;

	/** OOM kills already accounted for. */
	private long oomKillsSeen = -1;

	/** A process's resident memory in bytes, -1 if unknown. */
	private LongUnaryOperator residentMemory = (pid) -> -1;

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
		this.settings = settings;
		this.targetWorkers = settings.workers();
		this.launcher = launcher;
		this.settingsLoader = settingsLoader;
		this.reopenOwnLogs = reopenOwnLogs;
		this.clock = clock;
		this.pid = pid;
		this.upgrade = new Upgrade(pid);
		this.startedAt = clock.getAsLong();
		publishStatus();
	}

	/**
	 * Lets this master start a new master on USR2. Call before {@link #run()}.
	 * @param launcher starts the new master
	 * @return this master
	 */
	public Master upgradeWith(UpgradeLauncher launcher) {
		this.upgrade.startWith(launcher);
		return this;
	}

	/**
	 * Lets this master tell a worker the kernel's OOM killer took from one that crashed.
	 * Call before {@link #run()}.
	 * @param counter the kernel's count of OOM kills (cgroup {@code oom_kill}), -1 if unknown
	 * @return this master
	 */
	public Master countingOomKills(LongSupplier counter) {
		this.oomKills = counter;
		this.oomKillsSeen = counter.getAsLong();
		return this;
	}

	/**
	 * Lets this master read its workers' memory for {@code prefork.max-worker-memory}. Call
	 * before {@link #run()}.
	 * @param residentBytes a process's resident memory by pid, -1 if unknown
	 * @return this master
	 */
	public Master measuringMemory(LongUnaryOperator residentBytes) {
		this.residentMemory = residentBytes;
		return this;
	}

	/**
	 * Marks this master as the new master of an upgrade, until {@link Command.Promoted}.
	 * Call before {@link #run()}.
	 * @param oldMasterPid the master that started this one
	 * @return this master
	 */
	public Master asNewMasterOf(long oldMasterPid) {
		this.upgrade.newMasterOf(oldMasterPid);
		return this;
	}

	/**
	 * Reports what happens to {@code events}, after the observers added before. Call before
	 * {@link #run()}.
	 * @param events receives the master's events
	 * @return this master
	 */
	public Master observedBy(MasterEvents events) {
		this.observers.add(events);
		return this;
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
		logger.info("Master (pid " + this.pid + ") starting " + this.targetWorkers + " workers"
				+ ((this.upgrade.oldMasterPid() != null)
						? " as the new master of an upgrade from pid " + this.upgrade.oldMasterPid() : ""));
		logger.info("Sizing workers: " + this.settings.budget().memory().describe(this.targetWorkers) + describeCpus());
		this.announcedTarget = this.targetWorkers;
		this.events.starting(this.settings);
		try {
			while (this.state != MasterState.STOPPED) {
				turn(TURN_MILLIS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			logger.warn("Master thread interrupted; killing all workers");
			killAllNow();
			this.exitCode = 1;
		}
		catch (RuntimeException | Error ex) {
			logger.error("Master loop failed; killing all workers", ex);
			killAllNow();
			throw ex;
		}
		finally {
			this.state = MasterState.STOPPED;
			publishStatus();
		}
		logger.info("Master (pid " + this.pid + ") stopped");
		this.events.exited(this.exitCode);
		return this.exitCode;
	}

	/**
	 * One turn of the loop.
	 * @param waitMillis how long to wait for the first command
	 */
	void turn(long waitMillis) throws InterruptedException {
		handleCommands(waitMillis);
		announceTargetChange();
		long now = now();
		killTimedOutWorkers(now);
		if (isServing()) {
			respawnEmptySlots(now);
			if (this.reload != null) {
				advanceReload(now);
			}
			else {
				recycleOneWorker(now);
			}
			retireSurplusWorkers(now);
		}
		releaseUnusedListeners();
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
			this.events.command(control.name(), control.source());
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
		public void upgrade(Command.Upgrade upgrade) {
			handleUpgrade(upgrade);
		}

		@Override
		public void stopWorkers(Command.StopWorkers stopWorkers) {
			handleStopWorkers(stopWorkers);
		}

		@Override
		public void upgradeReady(Command.UpgradeReady ready) {
			handleUpgradeReady(ready);
		}

		@Override
		public void upgradeExited(Command.UpgradeExited exited) {
			handleUpgradeExited(exited);
		}

		@Override
		public void promoted(Command.Promoted promoted) {
			handlePromoted(promoted);
		}

		@Override
		public void workerWarming(Command.WorkerWarming warming) {
			handleWarming(warming);
		}

		@Override
		public void workerReady(Command.WorkerReady ready) {
			handleReady(ready);
		}

		@Override
		public void workerHeartbeat(Command.WorkerHeartbeat heartbeat) {
			handleHeartbeat(heartbeat);
		}

		@Override
		public void workerExited(Command.WorkerExited exited) {
			handleExited(exited);
		}

	};

	private void handleStop(Command.Stop stop) {
		String what = stop.mode().name().toLowerCase() + " stop (source: " + stop.source() + ")";
		if (this.state == MasterState.STOPPING && (this.stopMode == StopMode.QUICK || stop.mode() == StopMode.GRACEFUL)) {
			logger.info("Already stopping; ignoring " + what);
			stop.reply().send(Reply.Outcome.conflict("the master is already stopping (" + this.stopMode.name().toLowerCase()
					+ ")"));
			return;
		}
		logger.info("Accepted " + what);
		stop.reply().send(Reply.Outcome.accepted(stop.mode().name().toLowerCase() + " stop of the master and its "
				+ this.workers.size() + " worker(s) started"));
		beginStop(stop.mode(), 0);
	}

	private void handleReload(Command.Reload command) {
		if (!isServing()) {
			logger.info("Stopping; ignoring reload (source: " + command.source() + ")");
			command.reply().send(Reply.Outcome.conflict("the master is " + this.state));
		}
		else if ((this.reload != null || this.state == MasterState.STARTING) && command.reply() != Reply.NONE) {
			String busy = (this.reload != null) ? "a reload to generation " + this.reload.generation + " is running (for "
					+ seconds(now() - this.reload.startedAt) + " s)" : "the first workers are still starting";
			logger.info("Reload (source: " + command.source() + ") refused: " + busy);
			command.reply().send(Reply.Outcome.conflict(busy + "; try again once it is over"));
		}
		else if (this.reload != null || this.state == MasterState.STARTING) {
			if (this.pendingReload == null) {
				logger.info("Reload (source: " + command.source() + ") queued after the one in progress");
				this.pendingReload = command;
			}
			else {
				logger.info("Reload (source: " + command.source() + ") coalesced with the one already queued");
			}
		}
		else {
			startReload(command);
		}
	}

	private void startReload(Command.Reload command) {
		long now = now();
		MasterSettings next;
		try {
			next = this.settingsLoader.load();
		}
		catch (SettingsLoader.InvalidSettingsException ex) {
			logger.error("Reload refused, workers unchanged: " + ex.getMessage());
			this.lastReload = new MasterStatus.ReloadReport(this.generation + 1, String.valueOf(command.strategy()),
					"failed", "invalid configuration: " + ex.getMessage(), 0, Instant.now());
			command.reply().send(Reply.Outcome.conflict("invalid configuration, workers unchanged: " + ex.getMessage()));
			return;
		}
		int target = reloadTarget(next);
		String tooBig = next.budget().memory().fitProblem(target);
		if (tooBig != null) {
			logger.error("Reload refused, workers unchanged: " + tooBig);
			this.lastReload = new MasterStatus.ReloadReport(this.generation + 1, String.valueOf(command.strategy()),
					"failed", tooBig, 0, Instant.now());
			command.reply().send(Reply.Outcome.conflict("workers unchanged: " + tooBig));
			return;
		}
		ReloadStrategy strategy = (command.strategy() != null) ? command.strategy() : next.reloadStrategy();
		this.reload = new ReloadRun(this.generation + 1, strategy, now, this.settings, this.generation,
				this.targetWorkers);
		this.settings = next;
		this.generation = this.reload.generation;
		this.targetWorkers = target;
		this.workersStopped = false;
		this.state = MasterState.RELOADING;
		String started = "starting generation " + this.generation + " with " + this.targetWorkers + " workers, " + strategy;
		logger.info("Reloading (source: " + command.source() + "): " + started);
		this.events.reloadStarted(this.generation);
		command.reply().send(Reply.Outcome.accepted("reload " + started));
	}

	/**
	 * The worker count after a reload: a count changed at runtime (TTIN, scale) survives it,
	 * unless the configuration read again changed {@code prefork.workers}.
	 */
	private int reloadTarget(MasterSettings next) {
		if (this.workersStopped) {
			return next.workers(); // WINCH stopped them all: a HUP starts them again as configured
		}
		if (next.workers() != this.settings.workers()) {
			if (this.targetWorkers != this.settings.workers()) {
				logger.info("prefork.workers changed from " + this.settings.workers() + " to " + next.workers()
						+ ": the reload runs " + next.workers() + " workers instead of the " + this.targetWorkers
						+ " scaled to at runtime");
			}
			return next.workers();
		}
		if (this.targetWorkers != next.workers()) {
			logger.info("Keeping the " + this.targetWorkers + " workers scaled to at runtime (prefork.workers is still "
					+ next.workers() + ")");
		}
		return this.targetWorkers;
	}

	/** Starts the reload that was queued while another one ran (or the master was starting). */
	private void startPendingReload() {
		Command.Reload next = this.pendingReload;
		this.pendingReload = null;
		if (next != null) {
			startReload(next);
		}
	}

	private void handleScale(Command.Scale scale) {
		int wanted = (scale.workers() != null) ? scale.workers() : this.targetWorkers + scale.delta();
		if (!isServing()) {
			scale.reply().send(Reply.Outcome.conflict("the master is " + this.state));
		}
		else if (wanted < 1 || wanted > this.settings.maxWorkers()) {
			String refused = "cannot scale to " + wanted + " workers: the range is 1 to " + this.settings.maxWorkers()
					+ " (prefork.max-workers); still " + this.targetWorkers;
			logger.warn("Scaling (source: " + scale.source() + ") refused: " + refused);
			scale.reply().send(Reply.Outcome.invalid(refused));
		}
		else if (wanted > this.targetWorkers && this.settings.budget().memory().fitProblem(wanted) != null) {
			String refused = "cannot scale to " + wanted + " workers: " + this.settings.budget().memory().fitProblem(wanted)
					+ "; still " + this.targetWorkers;
			logger.warn("Scaling (source: " + scale.source() + ") refused: " + refused);
			scale.reply().send(Reply.Outcome.invalid(refused));
		}
		else {
			String change = (wanted != this.targetWorkers) ? "from " + this.targetWorkers + " to " + wanted + " workers"
					: "nothing to do: already " + wanted + " workers";
			logger.info("Scaling " + change + " (source: " + scale.source() + ")");
			this.targetWorkers = wanted;
			this.workersStopped = false;
			scale.reply().send(Reply.Outcome.accepted("scaling " + change));
		}
	}

	private void handleReopenLogs(Command.ReopenLogs reopen) {
		logger.info("Reopening log files (source: " + reopen.source() + ")");
		this.reopenOwnLogs.run();
		for (Worker worker : this.workers.view()) {
			if (worker.state == WorkerState.READY) {
				worker.process.signal(Signal.USR1);
			}
			else if (worker.isBooting()) {
				// SIGUSR1 kills a JVM that has not installed its handler yet: signal it once ready.
				worker.reopenLogsWhenReady = true;
			}
		}
		reopen.reply().send(Reply.Outcome.accepted("log files reopened in the master; " + this.workers.size()
				+ " worker(s) asked to reopen theirs"));
	}

	private void handleUpgrade(Command.Upgrade command) {
		String refusal = this.upgrade.refusal(this.state);
		if (refusal != null) {
			logger.warn("Upgrade (source: " + command.source() + ") refused: " + refusal);
			command.reply().send(Reply.Outcome.conflict(refusal));
			return;
		}
		try {
			this.events.upgradeStarting();
			long newMaster = this.upgrade.start(this.settings, this::submit, now());
			logger.info("Upgrading (source: " + command.source() + "): started a new master (pid " + newMaster
					+ ") from the original command line and handed it the listening socket; both serve until one "
					+ "of them is stopped");
			command.reply().send(Reply.Outcome.accepted("upgrade started: new master pid " + newMaster));
		}
		catch (IOException ex) {
			logger.error("Upgrade failed, this master keeps serving: could not start a new master: " + ex.getMessage());
			command.reply().send(Reply.Outcome.conflict("could not start a new master: " + ex.getMessage()));
		}
	}

	private void handleStopWorkers(Command.StopWorkers command) {
		String what = "stop of all workers (source: " + command.source() + ")";
		if (this.state == MasterState.STARTING || !isServing()) {
			logger.warn("Ignoring " + what + ": the master is " + this.state);
			command.reply().send(Reply.Outcome.conflict("the master is " + this.state));
			return;
		}
		if (this.targetWorkers == 0) {
			logger.info("Ignoring " + what + ": no workers are running");
			command.reply().send(Reply.Outcome.conflict("no workers are running"));
			return;
		}
		long now = now();
		if (this.reload != null) {
			abortReload("all workers are being stopped (source: " + command.source() + ")", now);
		}
		this.pendingReload = null;
		logger.info("Stopping all " + this.targetWorkers + " workers gracefully (source: " + command.source()
				+ "); the master keeps the listening socket. HUP or TTIN starts workers again"
				+ (!this.upgrade.isRunning() ? ". No new master is running: nothing serves until then" : ""));
		command.reply().send(Reply.Outcome.accepted("stopping all " + this.targetWorkers
				+ " workers gracefully; the master keeps the listening socket"));
		this.targetWorkers = 0;
		this.workersStopped = true;
		for (Worker worker : this.workers.active()) {
			retire(worker, ExitReason.GRACEFUL, Signal.TERM, this.settings.gracefulTimeout(), now);
		}
	}

	private void handleUpgradeReady(Command.UpgradeReady ready) {
		this.upgrade.ready(ready.pid(), now());
	}

	private void handleUpgradeExited(Command.UpgradeExited exited) {
		if (this.upgrade.exited(exited.pid(), exited.status()) && this.workersStopped && isServing()) {
			this.workersStopped = false;
			this.targetWorkers = this.settings.workers();
			logger.info("Starting " + this.targetWorkers + " workers again, stopped during the upgrade");
		}
	}

	private void handlePromoted(Command.Promoted promoted) {
		if (this.upgrade.promoted(promoted.oldMasterPid())) {
			this.events.promoted(promoted.oldMasterPid());
		}
	}

	private void handleWarming(Command.WorkerWarming warming) {
		Worker worker = this.workers.get(warming.workerId()).orElse(null);
		if (worker == null || worker.state != WorkerState.BOOTING) {
			return;
		}
		worker.state = WorkerState.WARMING;
		worker.warmingDeadline = now() + warming.limit().plus(MasterSettings.WARMUP_GRACE).toMillis();
		logger.info("Worker " + worker.slot + " (pid " + worker.pid() + ") started in "
				+ seconds(now() - worker.spawnedAt) + " s; warming up before it takes requests");
		this.events.workerWarming(worker.slot, worker.pid());
	}

	private void handleReady(Command.WorkerReady ready) {
		Worker worker = this.workers.get(ready.workerId()).orElse(null);
		if (worker == null || !worker.isBooting()) {
			return;
		}
		long now = now();
		worker.state = WorkerState.READY;
		if (ready.warmup() != null) {
			this.events.workerWarmedUp(worker.slot, worker.pid(), ready.warmup());
		}
		worker.readyAt = now;
		worker.lastHeartbeatAt = now;
		if (worker.reopenLogsWhenReady) {
			worker.process.signal(Signal.USR1);
		}
		logger.info("Booted worker " + worker.slot + " (pid " + worker.pid() + ") in " + seconds(now - worker.spawnedAt)
				+ " s");
		this.events.workerReady(worker.slot, worker.pid(), Duration.ofMillis(now - worker.spawnedAt));
		boolean waitForAll = this.reload != null && this.reload.strategy == ReloadStrategy.ALL_AT_ONCE
				&& worker.generation == this.reload.generation;
		if (worker.replaces != null && !waitForAll) {
			retireReplaced(worker, now);
		}
		if (this.state == MasterState.STARTING && this.workers.count(WorkerState.READY) >= this.targetWorkers) {
			this.state = MasterState.RUNNING;
			logger.info("All " + this.targetWorkers + " workers ready " + seconds(now - this.startedAt) + " s after start");
			this.events.ready(this.targetWorkers);
			startPendingReload();
		}
	}

	private void retireReplaced(Worker worker, long now) {
		Worker old = worker.replaces;
		worker.replaces = null;
		if (old.isActive()) {
			logger.info(old + " replaced by worker " + worker.slot + " (pid " + worker.pid() + "); stopping it gracefully");
			retire(old, worker.replaceReason, Signal.TERM, this.settings.gracefulTimeout(), now);
		}
	}

	private void handleHeartbeat(Command.WorkerHeartbeat heartbeat) {
		this.workers.get(heartbeat.workerId()).ifPresent((worker) -> {
			worker.lastHeartbeatAt = now();
			worker.requests = heartbeat.requestsServed();
			worker.inflight = heartbeat.inflight();
			checkMemory(worker);
		});
	}

	/** {@code prefork.max-worker-memory} (replace, readiness-gated) and {@code -kill} (kill now), on each heartbeat. */
	private void checkMemory(Worker worker) {
		WorkerBudget budget = this.settings.budget();
		if ((budget.recycleAboveBytes() <= 0 && budget.killAboveBytes() <= 0) || worker.state != WorkerState.READY) {
			return;
		}
		long resident = this.residentMemory.applyAsLong(worker.pid());
		if (budget.killAboveBytes() > 0 && resident > budget.killAboveBytes()) {
			logger.error(worker + " uses " + MemoryBudget.mib(resident) + " of resident memory, above "
					+ "prefork.max-worker-memory-kill (" + MemoryBudget.mib(budget.killAboveBytes()) + "); killing it");
			retire(worker, ExitReason.MEMORY, Signal.KILL, Duration.ZERO, now());
		}
		else if (budget.recycleAboveBytes() > 0 && resident > budget.recycleAboveBytes() && !worker.overMemory) {
			logger.warn(worker + " uses " + MemoryBudget.mib(resident) + " of resident memory, above "
					+ "prefork.max-worker-memory (" + MemoryBudget.mib(budget.recycleAboveBytes()) + "); replacing it");
			worker.overMemory = true;
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
		if (worker.retireReason != null) {
			boolean gracePassed = worker.killSent && worker.retireReason != ExitReason.TIMEOUT
					&& worker.retireReason != ExitReason.BOOT_FAILURE && worker.retireReason != ExitReason.MEMORY;
			ExitReason reason = gracePassed ? ExitReason.KILLED : worker.retireReason;
			logger.info(worker + " exited: " + reason + " (" + status + ")");
			this.events.workerExited(worker.slot, worker.pid(), reason, status);
		}
		else if (worker.isBooting()) {
			boolean oomKilled = isOomKill(status);
			this.events.workerExited(worker.slot, worker.pid(), oomKilled ? ExitReason.OOM_KILLED : ExitReason.BOOT_FAILURE,
					status);
			bootFailed(worker, oomKilled ? status + ", by the kernel's OOM killer" : status.toString(), now, status);
		}
		else {
			ExitReason reason = isOomKill(status) ? ExitReason.OOM_KILLED : ExitReason.CRASH;
			this.events.workerExited(worker.slot, worker.pid(), reason, status);
			crashed(worker, reason, status, now);
		}
		if (this.state == MasterState.STOPPING && this.workers.isEmpty()) {
			this.state = MasterState.STOPPED;
		}
	}

	/**
	 * Whether a SIGKILL the master did not send came from the kernel's OOM killer: its count
	 * of OOM kills went up since the last one accounted for.
	 */
	private boolean isOomKill(ExitStatus status) {
		if (status.signal() != Signal.KILL.number()) {
			return false;
		}
		long count = this.oomKills.getAsLong();
		if (count < 0 || count <= this.oomKillsSeen) {
			return false;
		}
		this.oomKillsSeen++;
		return true;
	}

	private void bootFailed(Worker worker, String why, long now, ExitStatus status) {
		String failure = worker + " failed to boot (" + why + ")";
		if (this.state == MasterState.STARTING) {
			logger.error(failure + "; its log above says why. Stopping the master instead of respawning workers that "
					+ "cannot boot.");
			boolean protocolCode = status.code() == ExitStatus.BOOT_ERROR || status.code() == ExitStatus.APP_LOAD_ERROR;
			beginStop(StopMode.QUICK, protocolCode ? status.code() : ExitStatus.BOOT_ERROR);
		}
		else if (this.reload != null && worker.generation == this.reload.generation) {
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

	private void crashed(Worker worker, ExitReason reason, ExitStatus status, long now) {
		String oom = (reason == ExitReason.OOM_KILLED)
				? ": the kernel's OOM killer ended it, so the workers need more memory than the limit allows; lower "
						+ "prefork.workers or the heap, or raise the memory limit" : "";
		logger.error(worker + " exited unexpectedly: " + reason + " (" + status + ") after "
				+ seconds(now - worker.spawnedAt) + " s" + oom);
		if (worker.state == WorkerState.READY && now - worker.readyAt >= MasterSettings.STABLE_AFTER.toMillis()) {
			this.backoff.stable(worker.slot);
		}
		scheduleRespawn(worker.slot, now);
	}

	private void scheduleRespawn(int slot, long now) {
		if (slot >= this.targetWorkers || !this.workers.active(slot).isEmpty()) {
			return;
		}
		long delay = this.backoff.failed(slot, now, 0);
		logger.info("Respawning worker " + slot + " in " + seconds(delay) + " s (" + this.backoff.failuresInARow(slot)
				+ " failure(s) in a row)");
	}

	/**
	 * Why a worker that is not ready yet is late, or null: its application must start within
	 * prefork.boot-timeout, and its warm-up end within the limit it announced plus a grace.
	 */
	private String lateToBoot(Worker worker, long now) {
		if (worker.state == WorkerState.BOOTING && now - worker.spawnedAt > this.settings.bootTimeout().toMillis()) {
			return "prefork.boot-timeout (" + seconds(this.settings.bootTimeout().toMillis()) + " s)";
		}
		if (worker.state == WorkerState.WARMING && now > worker.warmingDeadline) {
			return "its warm-up's limit and " + MasterSettings.WARMUP_GRACE.toSeconds() + " s";
		}
		return null;
	}

	private void killTimedOutWorkers(long now) {
		for (Worker worker : this.workers.all()) {
			String late = lateToBoot(worker, now);
			if (late != null) {
				logger.error(worker + " was not ready within " + late + "; sending SIGQUIT for a thread dump, SIGKILL in "
						+ MasterSettings.THREAD_DUMP_GRACE.toSeconds() + " s");
				retire(worker, ExitReason.TIMEOUT, Signal.QUIT, MasterSettings.THREAD_DUMP_GRACE, now);
				if (this.reload != null && worker.generation == this.reload.generation) {
					abortReload(worker + " was not ready within " + late, now);
				}
			}
			else if (worker.state == WorkerState.READY
					&& now - worker.lastHeartbeatAt > this.settings.timeout().toMillis()) {
				logger.error(worker + " sent no heartbeat for " + seconds(now - worker.lastHeartbeatAt)
						+ " s (prefork.timeout is " + seconds(this.settings.timeout().toMillis())
						+ " s); sending SIGQUIT for a thread dump, SIGKILL in " + MasterSettings.THREAD_DUMP_GRACE.toSeconds()
						+ " s");
				retire(worker, ExitReason.TIMEOUT, Signal.QUIT, MasterSettings.THREAD_DUMP_GRACE, now);
			}
			if (!worker.killSent && now >= worker.killAt) {
				logger.warn(worker + " did not exit in time; sending SIGKILL");
				worker.process.signal(Signal.KILL);
				worker.killSent = true;
			}
		}
		if (this.state == MasterState.STOPPING && now >= this.stopDeadline + MasterSettings.REAP_GRACE.toMillis()) {
			logger.error("Giving up on " + this.workers.size() + " worker(s) that were killed but never reaped");
			this.state = MasterState.STOPPED;
		}
	}

	/** Asks a worker to stop; SIGKILL follows if it is still there after {@code grace}. */
	private void retire(Worker worker, ExitReason reason, Signal signal, Duration grace, long now) {
		worker.state = WorkerState.DRAINING;
		worker.retireReason = reason;
		worker.killAt = Math.min(worker.killAt, now + grace.toMillis());
		worker.killSent |= signal == Signal.KILL;
		worker.process.signal(signal);
	}

	/** Every slot below the target has a worker, unless its respawn is backing off. */
	private void respawnEmptySlots(long now) {
		for (int slot = 0; slot < this.targetWorkers && isServing(); slot++) {
			if (this.workers.active(slot).isEmpty() && this.backoff.mayRespawn(slot, now)) {
				spawn(slot, null, null, spawnReason(slot), now);
			}
		}
	}

	/** Why an empty slot gets a worker, for the spawn counter. */
	private String spawnReason(int slot) {
		if (this.state == MasterState.STARTING) {
			return (this.upgrade.oldMasterPid() != null) ? "upgrade" : "start";
		}
		if (this.reload != null) {
			return "reload";
		}
		return this.backoff.hasFailed(slot) ? "respawn" : "scale";
	}

	/** Starts new-generation workers, one at a time or all at once, and ends the reload once all are ready. */
	private void advanceReload(long now) {
		List<Integer> outdatedSlots = new ArrayList<>();
		boolean booting = false;
		for (int slot = 0; slot < this.targetWorkers; slot++) {
			List<Worker> active = this.workers.active(slot);
			Worker current = active.stream().filter((w) -> w.generation == this.reload.generation).findFirst().orElse(null);
			if (current == null) {
				outdatedSlots.add(slot);
			}
			else if (current.isBooting()) {
				booting = true;
			}
		}
		if (!outdatedSlots.isEmpty()) {
			List<Integer> toStart = (this.reload.strategy == ReloadStrategy.ROLLING)
					? (booting ? List.of() : outdatedSlots.subList(0, 1)) : outdatedSlots;
			for (int slot : toStart) {
				Worker old = this.workers.active(slot).stream().findFirst().orElse(null);
				spawn(slot, old, ExitReason.GRACEFUL, "reload", now);
			}
			return;
		}
		if (booting) {
			return;
		}
		for (Worker worker : this.workers.active()) {
			if (worker.generation != this.reload.generation) {
				logger.info(worker + " is of generation " + worker.generation + "; stopping it gracefully");
				retire(worker, ExitReason.GRACEFUL, Signal.TERM, this.settings.gracefulTimeout(), now);
			}
			worker.replaces = null;
		}
		endReload("succeeded", "all " + this.targetWorkers + " workers of generation " + this.generation + " ready", now);
	}

	private void abortReload(String failure, long now) {
		ReloadRun aborted = this.reload;
		String message = "reload to generation " + aborted.generation + " aborted: " + failure + "; the workers of "
				+ "generation " + aborted.previousGeneration + " keep serving";
		for (Worker worker : this.workers.active()) {
			if (worker.generation == aborted.generation && worker.isBooting()) {
				retire(worker, ExitReason.BOOT_FAILURE, Signal.KILL, Duration.ZERO, now);
			}
			worker.replaces = null;
		}
		this.settings = aborted.previousSettings;
		this.generation = aborted.previousGeneration;
		this.targetWorkers = aborted.previousTarget;
		logger.error(Character.toUpperCase(message.charAt(0)) + message.substring(1));
		endReload("failed", message, now);
	}

	private void endReload(String result, String message, long now) {
		ReloadRun ended = this.reload;
		this.reload = null;
		this.state = MasterState.RUNNING;
		double duration = seconds(now - ended.startedAt);
		this.events.reloadEnded(result, Duration.ofMillis(now - ended.startedAt));
		this.lastReload = new MasterStatus.ReloadReport(ended.generation, ended.strategy.toString(), result, message,
				duration, Instant.now());
		if (result.equals("succeeded")) {
			logger.info("Reload " + result + " in " + duration + " s: " + message);
		}
		startPendingReload();
	}

	/**
	 * Replaces, one at a time, a worker that served {@code prefork.max-requests}, went above
	 * {@code prefork.max-worker-memory}, or has a larger heap than a scale-up allows.
	 */
	private void recycleOneWorker(long now) {
		if (this.state != MasterState.RUNNING
				|| this.workers.view().stream().anyMatch((w) -> w.replaces != null || w.isBooting())) {
			return;
		}
		long heapNow = this.settings.budget().resourcesFor(this.targetWorkers).maxHeapBytes();
		for (Worker worker : this.workers.active()) {
			if (worker.state != WorkerState.READY || now < worker.recycleNotBefore || worker.slot >= this.targetWorkers) {
				continue;
			}
			if (worker.requests >= worker.maxRequests) {
				logger.info(worker + " served " + worker.requests + " requests (limit " + worker.maxRequests
						+ "); recycling it");
				spawn(worker.slot, worker, ExitReason.MAX_REQUESTS, "recycle", now);
				return;
			}
			if (worker.overMemory) {
				spawn(worker.slot, worker, ExitReason.MEMORY, "memory", now);
				return;
			}
			if (heapNow > 0 && worker.maxHeapBytes > heapNow) {
				logger.info(worker + " has a max heap of " + MemoryBudget.mib(worker.maxHeapBytes) + ", more than "
						+ this.targetWorkers + " workers may have (" + MemoryBudget.mib(heapNow) + "); replacing it");
				spawn(worker.slot, worker, ExitReason.RESIZED, "resize", now);
				return;
			}
		}
	}

	/** After scaling down, workers in slots at or above the target stop. */
	private void retireSurplusWorkers(long now) {
		for (Worker worker : this.workers.active()) {
			if (worker.slot >= this.targetWorkers) {
				logger.info(worker + " is above the target of " + this.targetWorkers + " workers; stopping it gracefully");
				retire(worker, ExitReason.SCALE_DOWN, Signal.TERM, this.settings.gracefulTimeout(), now);
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
		// Clients wait for the first ready worker (unless an old master of an upgrade serves them).
		boolean nobodyServes = this.workers.count(WorkerState.READY) == 0 && this.upgrade.oldMasterPid() == null;
		WorkerLauncher.WorkerSpec spec = new WorkerLauncher.WorkerSpec(this.nextWorkerId++, slot, this.generation,
				this.settings, this.settings.budget().resourcesFor(this.targetWorkers), nobodyServes);
		long maxRequests = (this.settings.maxRequests() > 0)
				? this.settings.maxRequests() + this.random.nextLong(this.settings.maxRequestsJitter() + 1) : Long.MAX_VALUE;
		try {
			ChildProcess process = this.launcher.launch(spec, this::submit);
			Worker worker = new Worker(spec.id(), slot, spec.generation(), spec.settings().listen(), process, now,
					maxRequests);
			worker.replaces = replaces;
			worker.replaceReason = replaceReason;
			worker.gpu = spec.gpu();
			worker.maxHeapBytes = spec.resources().maxHeapBytes();
			this.workers.add(worker);
			logger.info("Booting worker " + slot + " (pid " + process.pid() + ", generation " + spec.generation()
					+ ((worker.gpu != null) ? ", GPU " + worker.gpu : "") + ")");
			this.events.workerSpawned(slot, reason);
		}
		catch (IOException ex) {
			logger.error("Could not start worker " + slot + ": " + ex.getMessage());
			if (this.state == MasterState.STARTING) {
				beginStop(StopMode.QUICK, ExitStatus.BOOT_ERROR);
			}
			else if (this.reload != null) {
				abortReload("could not start worker " + slot + ": " + ex.getMessage(), now);
			}
			else {
				this.backoff.failed(slot, now, 1000);
				if (replaces != null) {
					replaces.recycleNotBefore = now + MasterSettings.RECYCLE_RETRY.toMillis();
				}
			}
		}
	}

	private void beginStop(StopMode mode, int exitCode) {
		long now = now();
		Duration timeout = (mode == StopMode.GRACEFUL) ? this.settings.gracefulTimeout()
				: MasterSettings.QUICK_STOP_TIMEOUT;
		Signal signal = (mode == StopMode.GRACEFUL) ? Signal.TERM : Signal.INT;
		if (this.state != MasterState.STOPPING) {
			this.events.stopping();
		}
		this.state = MasterState.STOPPING;
		this.reload = null;
		this.pendingReload = null;
		this.stopMode = mode;
		this.exitCode = Math.max(this.exitCode, exitCode);
		this.stopDeadline = now + timeout.toMillis();
		if (this.workers.isEmpty()) {
			this.state = MasterState.STOPPED;
			return;
		}
		logger.info("Stopping " + this.workers.size() + " worker(s) with " + signal + "; SIGKILL after " + timeout.toSeconds()
				+ " s");
		for (Worker worker : this.workers.all()) {
			if (worker.retireReason == null) {
				worker.retireReason = ExitReason.GRACEFUL;
			}
			worker.state = WorkerState.DRAINING;
			worker.killAt = Math.min(worker.killAt, this.stopDeadline);
			if (!worker.killSent) {
				worker.process.signal(signal);
			}
		}
	}

	private void killAllNow() {
		for (Worker worker : this.workers.view()) {
			worker.process.signal(Signal.KILL);
		}
	}

	/** Lets go of listening sockets that neither the settings nor any worker use any more. */
	private void releaseUnusedListeners() {
		Set<ListenAddress> inUse = new LinkedHashSet<>();
		inUse.add(this.settings.listen());
		this.workers.view().forEach((worker) -> inUse.add(worker.listen));
		if (!inUse.equals(this.listenersInUse)) {
			this.listenersInUse = inUse;
			this.launcher.retainListeners(inUse);
		}
	}

	/** Tells observers about a new worker count before workers are started or stopped for it. */
	private void announceTargetChange() {
		boolean serving = this.state == MasterState.RUNNING || this.state == MasterState.RELOADING;
		if (this.announcedTarget != this.targetWorkers && serving) {
			this.events.workersChanged(this.announcedTarget, this.targetWorkers);
			this.announcedTarget = this.targetWorkers;
		}
	}

	private void publishStatus() {
		long now = now();
		MasterState shownState = (this.state == MasterState.RUNNING && this.upgrade.isRunning())
				? MasterState.UPGRADING : this.state;
		this.status = new MasterStatus(this.pid, shownState, this.generation, this.targetWorkers,
				this.workers.view()
					.stream()
					.sorted(Comparator.comparingInt((Worker worker) -> worker.slot).thenComparingLong((worker) -> worker.id))
					.map((worker) -> new MasterStatus.WorkerStatus(worker.slot, worker.pid(), worker.state,
							worker.generation, seconds(now - worker.spawnedAt),
							(worker.lastHeartbeatAt != Worker.NEVER) ? seconds(now - worker.lastHeartbeatAt) : null,
							worker.requests, worker.inflight, null, worker.gpu,
							(worker.maxHeapBytes >= 0) ? worker.maxHeapBytes : null,
							(worker.maxRequests != Long.MAX_VALUE) ? worker.maxRequests : null))
					.toList(),
				this.lastReload, this.upgrade.status(now), this.upgrade.oldMasterPid(), this.exitCode, memoryStatus());
	}

	private MasterStatus.MemoryStatus memoryStatus() {
		MemoryBudget memory = this.settings.budget().memory();
		if (!memory.isEnabled()) {
			return null;
		}
		long heap = memory.heapFor(this.targetWorkers);
		return new MasterStatus.MemoryStatus(memory.limitBytes(), memory.limitSource(), (heap >= 0) ? heap : null,
				(memory.userHeapOption() != null) ? "user" : "prefork");
	}

	private String describeCpus() {
		CpuShare cpu = this.settings.budget().cpu();
		int processors = cpu.processorsFor(this.targetWorkers);
		int threads = cpu.tomcatThreadsFor(this.targetWorkers);
		return ((processors > 0) ? "; " + processors + " of " + cpu.processors() + " processors each" : "")
				+ ((threads > 0) ? ", up to " + threads + " Tomcat threads each" : "");
	}

	private long now() {
		return this.clock.getAsLong();
	}

	static double seconds(long millis) {
		return Math.round(millis / 10.0) / 100.0;
	}

	/** A reload in progress, with what to go back to if it fails. */
	private record ReloadRun(int generation, ReloadStrategy strategy, long startedAt, MasterSettings previousSettings,
			int previousGeneration, int previousTarget) {
	}

}
