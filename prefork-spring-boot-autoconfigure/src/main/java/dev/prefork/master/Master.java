package dev.prefork.master;

import java.io.IOException;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The pre-fork master loop. One thread runs {@link #run()} and owns every bit of mutable
 * state; everybody else talks to it through {@link #submit(Command)}.
 *
 * <p>
 * Each turn: handle the queued commands, kill workers that timed out, make the worker count
 * match the target, publish a {@link MasterStatus}.
 */
public final class Master {

	private static final Log logger = LogFactory.getLog(Master.class);

	private static final long TURN_MILLIS = 200;

	private final MasterSettings settings;

	private final WorkerLauncher launcher;

	private final LongSupplier clock;

	private final long pid;

	private final BlockingQueue<Command> commands = new LinkedBlockingQueue<>();

	private final WorkerTable workers = new WorkerTable();

	private final int[] crashes;

	private final long[] respawnNotBefore;

	private MasterState state = MasterState.STARTING;

	private final int generation = 1;

	private long nextWorkerId = 1;

	private final long startedAt;

	/** When the stop in progress gives up waiting and kills. */
	private long stopDeadline = Long.MAX_VALUE;

	private StopMode stopMode;

	private int exitCode;

	private volatile MasterStatus status;

	/**
	 * Creates a master.
	 * @param settings validated settings
	 * @param launcher starts worker processes
	 * @param clock monotonic milliseconds
	 * @param pid the master's own pid, for the status
	 */
	public Master(MasterSettings settings, WorkerLauncher launcher, LongSupplier clock, long pid) {
		this.settings = settings;
		this.launcher = launcher;
		this.clock = clock;
		this.pid = pid;
		this.crashes = new int[settings.workers()];
		this.respawnNotBefore = new long[settings.workers()];
		this.startedAt = clock.getAsLong();
		publishStatus();
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
		logger.info("Master (pid " + this.pid + ") starting " + this.settings.workers() + " workers");
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
		return this.exitCode;
	}

	/**
	 * One turn of the loop.
	 * @param waitMillis how long to wait for the first command
	 */
	void turn(long waitMillis) throws InterruptedException {
		handleCommands(waitMillis);
		killTimedOutWorkers();
		reconcileWorkerCount();
		publishStatus();
	}

	private void handleCommands(long waitMillis) throws InterruptedException {
		Command command = this.commands.poll(waitMillis, TimeUnit.MILLISECONDS);
		while (command != null) {
			handle(command);
			command = this.commands.poll();
		}
	}

	private void handle(Command command) {
		if (command instanceof Command.Stop stop) {
			handleStop(stop);
		}
		else if (command instanceof Command.WorkerReady ready) {
			handleReady(ready);
		}
		else if (command instanceof Command.WorkerHeartbeat heartbeat) {
			handleHeartbeat(heartbeat);
		}
		else if (command instanceof Command.WorkerExited exited) {
			handleExited(exited);
		}
		else {
			throw new IllegalStateException("Unknown command " + command);
		}
	}

	private void handleStop(Command.Stop stop) {
		if (this.state == MasterState.STOPPING && (this.stopMode == StopMode.QUICK || stop.mode() == StopMode.GRACEFUL)) {
			logger.info("Already stopping; ignoring " + describe(stop));
			return;
		}
		logger.info("Accepted " + describe(stop));
		beginStop(stop.mode(), 0);
	}

	private static String describe(Command.Stop stop) {
		return stop.mode().name().toLowerCase() + " stop (source: " + stop.source() + ")";
	}

	private void handleReady(Command.WorkerReady ready) {
		this.workers.get(ready.workerId()).ifPresent((worker) -> {
			if (worker.state != WorkerState.BOOTING) {
				return;
			}
			long now = now();
			worker.state = WorkerState.READY;
			worker.readyAt = now;
			worker.lastHeartbeatAt = now;
			logger.info("Booted worker " + worker.slot + " (pid " + worker.pid() + ") in "
					+ seconds(now - worker.spawnedAt) + " s");
			if (this.state == MasterState.STARTING && this.workers.count(WorkerState.READY) >= this.settings.workers()) {
				this.state = MasterState.RUNNING;
				logger.info("All " + this.settings.workers() + " workers ready " + seconds(now - this.startedAt)
						+ " s after start");
			}
		});
	}

	private void handleHeartbeat(Command.WorkerHeartbeat heartbeat) {
		this.workers.get(heartbeat.workerId()).ifPresent((worker) -> {
			worker.lastHeartbeatAt = now();
			worker.requests = heartbeat.requestsServed();
			worker.inflight = heartbeat.inflight();
		});
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
			ExitReason reason = worker.killSent && worker.retireReason == ExitReason.GRACEFUL ? ExitReason.KILLED
					: worker.retireReason;
			logger.info("Worker " + worker.slot + " (pid " + worker.pid() + ") exited: " + reason + " (" + status + ")");
		}
		else if (worker.state == WorkerState.BOOTING) {
			bootFailed(worker, status, now);
		}
		else {
			crashed(worker, status, now);
		}
		if (this.state == MasterState.STOPPING && this.workers.isEmpty()) {
			this.state = MasterState.STOPPED;
		}
	}

	private void bootFailed(Worker worker, ExitStatus status, long now) {
		if (this.state == MasterState.STARTING) {
			logger.error("Worker " + worker.slot + " (pid " + worker.pid() + ") failed to boot (" + status
					+ "); its log above says why. Stopping the master instead of respawning workers that cannot boot.");
			boolean protocolCode = status.code() == ExitStatus.BOOT_ERROR || status.code() == ExitStatus.APP_LOAD_ERROR;
			beginStop(StopMode.QUICK, protocolCode ? status.code() : ExitStatus.BOOT_ERROR);
			return;
		}
		logger.error("Worker " + worker.slot + " (pid " + worker.pid() + ") failed to boot (" + status + ")");
		scheduleRespawn(worker, now);
	}

	private void crashed(Worker worker, ExitStatus status, long now) {
		logger.error("Worker " + worker.slot + " (pid " + worker.pid() + ") exited unexpectedly: " + ExitReason.CRASH
				+ " (" + status + ") after " + seconds(now - worker.spawnedAt) + " s");
		if (worker.state == WorkerState.READY && now - worker.readyAt >= MasterSettings.STABLE_AFTER.toMillis()) {
			this.crashes[worker.slot] = 0;
		}
		scheduleRespawn(worker, now);
	}

	private void scheduleRespawn(Worker worker, long now) {
		if (this.state == MasterState.STOPPING || worker.slot >= this.crashes.length) {
			return;
		}
		int crashes = ++this.crashes[worker.slot];
		long delay = backoffMillis(crashes);
		this.respawnNotBefore[worker.slot] = now + delay;
		logger.info("Respawning worker " + worker.slot + " in " + seconds(delay) + " s (" + crashes
				+ " failure(s) in a row)");
	}

	/** No delay for the first failure, then 1 s, 2 s, 4 s ... up to the maximum. */
	static long backoffMillis(int failuresInARow) {
		if (failuresInARow <= 1) {
			return 0;
		}
		long max = MasterSettings.MAX_RESPAWN_BACKOFF.toMillis();
		int exponent = Math.min(failuresInARow - 2, 30);
		return Math.min(1000L << exponent, max);
	}

	private void killTimedOutWorkers() {
		long now = now();
		for (Worker worker : this.workers.all()) {
			if (worker.state == WorkerState.BOOTING && now - worker.spawnedAt > this.settings.bootTimeout().toMillis()) {
				logger.error(worker + " was not ready within prefork.boot-timeout ("
						+ seconds(this.settings.bootTimeout().toMillis()) + " s); sending SIGQUIT for a thread dump, SIGKILL in " + MasterSettings.THREAD_DUMP_GRACE.toSeconds() + " s");
				retire(worker, ExitReason.TIMEOUT, Signal.QUIT, MasterSettings.THREAD_DUMP_GRACE, now);
			}
			else if (worker.state == WorkerState.READY
					&& now - worker.lastHeartbeatAt > this.settings.timeout().toMillis()) {
				logger.error(worker + " sent no heartbeat for " + seconds(now - worker.lastHeartbeatAt)
						+ " s (prefork.timeout is " + seconds(this.settings.timeout().toMillis()) + " s); sending SIGQUIT for a thread dump, SIGKILL in "
						+ MasterSettings.THREAD_DUMP_GRACE.toSeconds() + " s");
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
		worker.process.signal(signal);
	}

	private void reconcileWorkerCount() {
		if (this.state != MasterState.STARTING && this.state != MasterState.RUNNING) {
			return;
		}
		long now = now();
		for (int slot = 0; slot < this.settings.workers(); slot++) {
			if (!this.workers.isSlotOccupied(slot) && now >= this.respawnNotBefore[slot]) {
				spawn(slot, now);
				if (this.state == MasterState.STOPPING) {
					return;
				}
			}
		}
	}

	private void spawn(int slot, long now) {
		WorkerLauncher.WorkerSpec spec = new WorkerLauncher.WorkerSpec(this.nextWorkerId++, slot, this.generation);
		try {
			WorkerProcess process = this.launcher.launch(spec, this::submit);
			this.workers.add(new Worker(spec.id(), slot, spec.generation(), process, now));
			logger.info("Booting worker " + slot + " (pid " + process.pid() + ")");
		}
		catch (IOException ex) {
			logger.error("Could not start worker " + slot + ": " + ex.getMessage());
			if (this.state == MasterState.STARTING) {
				beginStop(StopMode.QUICK, ExitStatus.BOOT_ERROR);
				return;
			}
			this.crashes[slot]++;
			this.respawnNotBefore[slot] = now + Math.max(1000, backoffMillis(this.crashes[slot]));
		}
	}

	private void beginStop(StopMode mode, int exitCode) {
		long now = now();
		Duration timeout = (mode == StopMode.GRACEFUL) ? this.settings.gracefulTimeout()
				: MasterSettings.QUICK_STOP_TIMEOUT;
		Signal signal = (mode == StopMode.GRACEFUL) ? Signal.TERM : Signal.INT;
		this.state = MasterState.STOPPING;
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

	private void publishStatus() {
		long now = now();
		this.status = new MasterStatus(this.pid, this.state, this.generation, this.settings.workers(),
				this.workers.view()
					.stream()
					.sorted(Comparator.comparingInt((Worker worker) -> worker.slot).thenComparingLong((worker) -> worker.id))
					.map((worker) -> new MasterStatus.WorkerStatus(worker.slot, worker.pid(), worker.state,
							worker.generation, seconds(now - worker.spawnedAt),
							(worker.lastHeartbeatAt != Worker.NEVER) ? seconds(now - worker.lastHeartbeatAt) : null, worker.requests,
							worker.inflight))
					.toList(),
				this.exitCode);
	}

	private long now() {
		return this.clock.getAsLong();
	}

	private static double seconds(long millis) {
		return Math.round(millis / 10.0) / 100.0;
	}

}
