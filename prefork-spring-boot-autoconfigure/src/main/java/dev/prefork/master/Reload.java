package dev.prefork.master;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The master's reloads: the one whose configuration is being read (off the master thread),
 * the one replacing workers (with the {@link Plan} to go back to if it fails), the one queued
 * behind them, and the last one's report. Owned by the master thread.
 *
 * <p>
 * A reload reads the configuration again, then starts a worker of the new generation in each
 * slot, rolling or all at once, each replacing the slot's old worker once ready. A new
 * worker that fails to boot (or is late) aborts it: the old generation keeps serving.
 */
final class Reload {

	private static final Log logger = LogFactory.getLog(Reload.class);

	private final SettingsLoader loader;

	private final Consumer<Command> submit;

	private final MasterEvents events;

	/** Where the configuration is read: off the master thread. */
	private Executor reading = (task) -> {
		Thread thread = new Thread(task, "prefork-reload-settings");
		thread.setDaemon(true);
		thread.start();
	};

	/** A reload replacing workers, with what to go back to if it fails. */
	record Run(int generation, ReloadStrategy strategy, long startedAt, MasterSettings previousSettings,
			int previousGeneration, int previousTarget) {
	}

	/** The reload whose configuration is being read off the master thread, or null. */
	private Command.Reload loading;

	private long loadingSince;

	private Run running;

	private Command.Reload queued;

	private MasterStatus.ReloadReport last;

	/**
	 * @param loader reads the configuration again
	 * @param submit queues the configuration read for the master thread
	 * @param events told when a reload starts and ends
	 */
	Reload(SettingsLoader loader, Consumer<Command> submit, MasterEvents events) {
		this.loader = loader;
		this.submit = submit;
		this.events = events;
	}

	void readOn(Executor executor) {
		this.reading = executor;
	}

	/**
	 * A reload was asked for: refused while another one is busy (or the first workers start)
	 * if somebody waits for the answer, else queued behind it; or its configuration is read.
	 * @param starting whether the master's first workers are still starting
	 */
	void request(Command.Reload command, boolean starting, long now) {
		boolean busy = isBusy() || starting;
		if (busy && command.reply() != Reply.NONE) {
			String why = isBusy() ? busy(now) : "the first workers are still starting";
			logger.info("Reload (source: " + command.source() + ") refused: " + why);
			command.reply().send(Reply.Outcome.conflict(why + "; try again once it is over"));
		}
		else if (busy) {
			queue(command);
		}
		else {
			read(command, now);
		}
	}

	/** Queues a reload nobody waits for (a signal) behind the one in progress; more of them coalesce. */
	private void queue(Command.Reload reload) {
		if (this.queued == null) {
			logger.info("Reload (source: " + reload.source() + ") queued after the one in progress");
			this.queued = reload;
		}
		else {
			logger.info("Reload (source: " + reload.source() + ") coalesced with the one already queued");
		}
	}

	/** Starts the reload that was queued while another one ran (or the master was starting), if any. */
	void startQueued(long now) {
		Command.Reload next = this.queued;
		this.queued = null;
		if (next != null) {
			read(next, now);
		}
	}

	/**
	 * Reads the configuration for {@code reload} off the master thread: a whole
	 * {@code SpringApplication} may take seconds. It comes back as a {@link Command.ReloadLoaded}.
	 */
	private void read(Command.Reload reload, long now) {
		logger.info("Reload (source: " + reload.source() + "): reading the configuration");
		this.loading = reload;
		this.loadingSince = now;
		this.reading.execute(() -> this.submit.accept(load(this.loader, reload)));
	}

	/**
	 * The configuration for a reload was read: the reload starts with it, unless it is invalid,
	 * does not fit the memory limit, or the reload was cancelled meanwhile (the master stops).
	 * @return whether the reload started: {@code plan} is now the new generation's
	 */
	boolean loaded(Command.ReloadLoaded loaded, Plan plan, MasterState state, long now) {
		Command.Reload command = loaded.reload();
		if (this.loading != command) {
			logger.info("Configuration read for a reload cancelled meanwhile (source: " + command.source() + "); ignored");
			command.reply().send(Reply.Outcome.conflict("the reload was cancelled: the master is " + state
					+ (plan.workersStopped ? " with its workers stopped" : "")));
			return false;
		}
		this.loading = null;
		MasterSettings next = loaded.settings();
		int target = (next != null) ? target(plan, next) : 0;
		String refused = (next != null) ? next.budget().memory().fitProblem(target) : loaded.error();
		if (refused != null) {
			logger.error("Reload refused, workers unchanged: " + refused);
			this.last = new MasterStatus.ReloadReport(plan.generation + 1, String.valueOf(command.strategy()), "failed",
					refused, 0, Instant.now());
			command.reply().send(Reply.Outcome.conflict("workers unchanged: " + refused));
			startQueued(now);
			return false;
		}
		ListenAddress listen = plan.settings.listen();
		if (next.listen().sameEndpoint(listen) && next.listen().backlog() != listen.backlog()) {
			logger.warn("prefork.backlog changed from " + listen.backlog() + " to " + next.listen().backlog()
					+ ": the listening socket is kept with its accept queue; the new backlog applies when a socket is "
					+ "bound again (a new server.port or server.address, or a restart)");
		}
		if (next.listen().sameEndpoint(listen) && listen.isUnix() && !next.listen().unix().equals(listen.unix())) {
			logger.warn("prefork.unix-socket.mode or .group changed: the socket " + listen.unix() + " keeps its mode and "
					+ "group; they apply when it is bound again (a new prefork.unix-socket.path, or a restart)");
		}
		ReloadStrategy strategy = (command.strategy() != null) ? command.strategy() : next.reloadStrategy();
		this.running = new Run(plan.generation + 1, strategy, now, plan.settings, plan.generation, plan.targetWorkers);
		plan.settings = next;
		plan.generation++;
		plan.targetWorkers = target;
		plan.workersStopped = false;
		String started = "starting generation " + plan.generation + " with " + MasterStatus.workers(target) + ", " + strategy;
		logger.info("Reloading (source: " + command.source() + "): " + started);
		this.events.reloadStarted(plan.generation);
		command.reply().send(Reply.Outcome.accepted("reload " + started));
		return true;
	}

	private static Command.ReloadLoaded load(SettingsLoader loader, Command.Reload reload) {
		try {
			return new Command.ReloadLoaded(reload, loader.load(), null);
		}
		catch (SettingsLoader.InvalidSettingsException ex) {
			return new Command.ReloadLoaded(reload, null, "invalid configuration: " + ex.getMessage());
		}
		catch (RuntimeException | Error ex) {
			// Answered all the same: a reload that never hears back would refuse every later one.
			logger.error("Reading the configuration for a reload failed", ex);
			return new Command.ReloadLoaded(reload, null, "could not read the configuration: " + ex);
		}
	}

	/** Reading a configuration or replacing workers: another reload has to wait. */
	boolean isBusy() {
		return this.loading != null || this.running != null;
	}

	/** The reload replacing workers, or null. */
	Run running() {
		return this.running;
	}

	/** What keeps another reload waiting, for a refusal. */
	private String busy(long now) {
		return (this.running != null)
				? "a reload to generation " + this.running.generation + " is running (for "
						+ MasterStatus.seconds(now - this.running.startedAt) + " s)"
				: "a reload is reading its configuration (for " + MasterStatus.seconds(now - this.loadingSince) + " s)";
	}

	/**
	 * The worker count after a reload: a count changed at runtime (TTIN, scale) survives it,
	 * unless the configuration read again changed {@code prefork.workers}.
	 * After all workers were stopped on purpose (WINCH), it starts them again as configured.
	 */
	private static int target(Plan plan, MasterSettings next) {
		MasterSettings current = plan.settings;
		int targetWorkers = plan.targetWorkers;
		if (plan.workersStopped) {
			return next.workers();
		}
		if (next.workers() != current.workers()) {
			if (targetWorkers != current.workers()) {
				logger.info("prefork.workers changed from " + current.workers() + " to " + next.workers()
						+ ": the reload runs " + next.workers() + " workers instead of the " + targetWorkers
						+ " scaled to at runtime");
			}
			return next.workers();
		}
		if (targetWorkers != next.workers()) {
			logger.info("Keeping the " + targetWorkers + " workers scaled to at runtime (prefork.workers is still "
					+ next.workers() + ")");
		}
		return targetWorkers;
	}

	/**
	 * Takes the running reload one step: starts workers of the new generation in the slots
	 * that have none, all at once, or rolling: one booting at a time, the next one as soon as
	 * the previous one's application has started and warms up, if {@code roomForAnother} says
	 * memory allows a second new worker (at most two not ready at once). Once all are ready,
	 * stops the older ones.
	 * @param roomForAnother whether the memory limit has room for one more worker than run now
	 * @param start starts a worker in a slot, to replace the given one once ready
	 * @return whether the reload succeeded (and ended): every slot has a ready worker of the new
	 * generation
	 */
	boolean advance(WorkerPool workers, int targetWorkers, BooleanSupplier roomForAnother,
			BiConsumer<Integer, Worker> start, long now) {
		List<Integer> outdatedSlots = new ArrayList<>();
		int booting = 0;
		int warming = 0;
		for (int slot = 0; slot < targetWorkers; slot++) {
			Worker current = workers.active(slot)
				.stream()
				.filter((worker) -> worker.generation == this.running.generation)
				.findFirst()
				.orElse(null);
			if (current == null) {
				outdatedSlots.add(slot);
			}
			else if (current.state == WorkerState.BOOTING) {
				booting++;
			}
			else if (current.state == WorkerState.WARMING) {
				warming++;
			}
		}
		if (!outdatedSlots.isEmpty()) {
			boolean rollingMayStart = booting == 0 && (warming == 0 || (warming == 1 && roomForAnother.getAsBoolean()));
			List<Integer> toStart = (this.running.strategy == ReloadStrategy.ALL_AT_ONCE) ? outdatedSlots
					: rollingMayStart ? outdatedSlots.subList(0, 1) : List.of();
			toStart.forEach((slot) -> start.accept(slot, workers.active(slot).stream().findFirst().orElse(null)));
			return false;
		}
		if (booting + warming > 0) {
			return false;
		}
		for (Worker worker : workers.active()) {
			if (worker.generation != this.running.generation) {
				logger.info(worker + " is of generation " + worker.generation + "; stopping it gracefully");
				workers.retireGracefully(worker, ExitReason.GRACEFUL, now);
			}
			worker.replaces = null;
		}
		end("succeeded", MasterStatus.all(targetWorkers) + " of generation " + this.running.generation + " ready", now);
		return true;
	}

	/**
	 * Ends the running reload as failed: kills the new generation's workers that are not ready
	 * yet and puts {@code plan} back; the old generation keeps serving.
	 */
	void abort(String failure, Plan plan, WorkerPool workers, long now) {
		Run aborted = this.running;
		String message = "reload to generation " + aborted.generation + " aborted: " + failure + "; the workers of "
				+ "generation " + aborted.previousGeneration + " keep serving";
		logger.error(Character.toUpperCase(message.charAt(0)) + message.substring(1));
		for (Worker worker : workers.active()) {
			if (worker.generation == this.running.generation && worker.isBooting()) {
				workers.retire(worker, ExitReason.BOOT_FAILURE, Signal.KILL, Duration.ZERO, now);
			}
			worker.replaces = null;
		}
		plan.settings = aborted.previousSettings;
		plan.generation = aborted.previousGeneration;
		plan.targetWorkers = aborted.previousTarget;
		end("failed", message, now);
	}

	/** Whether {@code worker} belongs to the generation a running reload starts. */
	boolean isStarting(Worker worker) {
		return this.running != null && worker.generation == this.running.generation;
	}

	private void end(String result, String message, long now) {
		Run ended = this.running;
		this.running = null;
		double took = MasterStatus.seconds(now - ended.startedAt);
		this.last = new MasterStatus.ReloadReport(ended.generation, ended.strategy.toString(), result, message, took,
				Instant.now());
		this.events.reloadEnded(result, Duration.ofMillis(now - ended.startedAt));
		if (result.equals("succeeded")) {
			logger.info("Reload " + result + " in " + took + " s: " + message);
		}
		startQueued(now);
	}

	/** Forgets the reload being read and the queued one; a running one must be ended first. */
	void cancelWaiting() {
		this.loading = null;
		this.queued = null;
	}

	/** Forgets every reload: the master is stopping. */
	void cancelAll() {
		cancelWaiting();
		this.running = null;
	}

	MasterStatus.ReloadReport lastReport() {
		return this.last;
	}

}
