package dev.prefork.master;

/**
 * Everything that can happen to the master arrives as one of these on the master's queue.
 * Signal handlers, HTTP endpoints, channel readers and reapers only ever enqueue them. A
 * {@link Control} is what a person or the application asks for (see {@link ControlCommand} for
 * its doors); an {@link Event} is what happened to a worker or to an upgrade. The master handles
 * each through a {@link Handler}, so a command without a handler does not compile.
 */
public sealed interface Command {

	/** Calls the handler's method for this command. */
	void dispatchTo(Handler handler);

	/** A command a person or the application gave, through one of the doors of {@link ControlCommand}. */
	sealed interface Control extends Command {

		/** The door it came in through. */
		Source source();

		/** The name it is counted under ({@code prefork_commands_total}). */
		String name();

		/** The catalogue entry whose signal asks for it (what a {@link Source#SIGNAL} received). */
		ControlCommand bySignal();

	}

	/** Something that happened to a worker or to an upgrade, reported by a reaper or a channel. */
	sealed interface Event extends Command {

	}

	/** One method per command: what the master does with it. */
	interface Handler {

		void stop(Stop stop);

		void reload(Reload reload);

		void scale(Scale scale);

		void reopenLogs(ReopenLogs reopen);

		void upgrade(Upgrade upgrade);

		void stopWorkers(StopWorkers stopWorkers);

		void reloadLoaded(ReloadLoaded loaded);

		void upgradeReady(UpgradeReady ready);

		void upgradeExited(UpgradeExited exited);

		void promoted(Promoted promoted);

		void releaseEvents(ReleaseEvents release);

		void workerWarming(WorkerWarming warming);

		void workerReady(WorkerReady ready);

		void workerHeartbeat(WorkerHeartbeat heartbeat);

		void workerExited(WorkerExited exited);

	}

	/** Stop the master and all workers. */
	record Stop(StopMode mode, Source source, Reply reply) implements Control {

		public Stop(StopMode mode, Source source) {
			this(mode, source, Reply.NONE);
		}

		@Override
		public void dispatchTo(Handler handler) {
			handler.stop(this);
		}

		@Override
		public String name() {
			return (this.mode == StopMode.GRACEFUL) ? "stop" : "quick-stop";
		}

		@Override
		public ControlCommand bySignal() {
			return (this.mode == StopMode.GRACEFUL) ? ControlCommand.STOP : ControlCommand.QUICK_STOP;
		}

	}

	/**
	 * Re-read the configuration and replace every worker. While a reload runs, another one
	 * nobody waits for is queued (signals coalesce); one with a reply is refused.
	 * @param strategy the strategy for this reload, or {@code null} for the configured one
	 */
	record Reload(ReloadStrategy strategy, Source source, Reply reply) implements Control {

		public Reload(ReloadStrategy strategy, Source source) {
			this(strategy, source, Reply.NONE);
		}

		@Override
		public void dispatchTo(Handler handler) {
			handler.reload(this);
		}

		@Override
		public String name() {
			return "reload";
		}

		@Override
		public ControlCommand bySignal() {
			return ControlCommand.RELOAD;
		}

	}

	/**
	 * Change the number of workers, by {@code delta} or to {@code workers}; refused, and
	 * nothing changes, if the result is outside 1..{@code prefork.max-workers}.
	 * @param workers the absolute count, or {@code null} to apply {@code delta}
	 * @param delta the change when {@code workers} is {@code null}
	 */
	record Scale(Integer workers, int delta, Source source, Reply reply) implements Control {

		public Scale(int delta, Source source) {
			this(null, delta, source, Reply.NONE);
		}

		@Override
		public void dispatchTo(Handler handler) {
			handler.scale(this);
		}

		@Override
		public String name() {
			return "scale";
		}

		@Override
		public ControlCommand bySignal() {
			return (this.delta > 0) ? ControlCommand.SCALE_UP : ControlCommand.SCALE_DOWN;
		}

	}

	/** Reopen log files in the master and every worker. */
	record ReopenLogs(Source source, Reply reply) implements Control {

		public ReopenLogs(Source source) {
			this(source, Reply.NONE);
		}

		@Override
		public void dispatchTo(Handler handler) {
			handler.reopenLogs(this);
		}

		@Override
		public String name() {
			return "reopen-logs";
		}

		@Override
		public ControlCommand bySignal() {
			return ControlCommand.REOPEN_LOGS;
		}

	}

	/** Start a new master from the original command line and hand it the listening socket. */
	record Upgrade(Source source, Reply reply) implements Control {

		public Upgrade(Source source) {
			this(source, Reply.NONE);
		}

		@Override
		public void dispatchTo(Handler handler) {
			handler.upgrade(this);
		}

		@Override
		public String name() {
			return "upgrade";
		}

		@Override
		public ControlCommand bySignal() {
			return ControlCommand.UPGRADE;
		}

	}

	/** Gracefully stop every worker, keep the master and its socket (the old master's step in an upgrade). */
	record StopWorkers(Source source, Reply reply) implements Control {

		public StopWorkers(Source source) {
			this(source, Reply.NONE);
		}

		@Override
		public void dispatchTo(Handler handler) {
			handler.stopWorkers(this);
		}

		@Override
		public String name() {
			return "stop-workers";
		}

		@Override
		public ControlCommand bySignal() {
			return ControlCommand.STOP_WORKERS;
		}

	}

	/**
	 * The configuration for a reload was read (off the master thread).
	 * @param settings the new settings, or {@code null} if they could not be read
	 * @param error why not, or {@code null}
	 */
	record ReloadLoaded(Reload reload, MasterSettings settings, String error) implements Event {

		@Override
		public void dispatchTo(Handler handler) {
			handler.reloadLoaded(this);
		}

	}

	/** The new master of an upgrade has all its first workers ready. */
	record UpgradeReady(long pid) implements Event {

		@Override
		public void dispatchTo(Handler handler) {
			handler.upgradeReady(this);
		}

	}

	/** The new master of an upgrade was reaped. */
	record UpgradeExited(long pid, ExitStatus status) implements Event {

		@Override
		public void dispatchTo(Handler handler) {
			handler.upgradeExited(this);
		}

	}

	/** The observers made while the loop ran are all there: pass on the events held back ({@link Master#holdEvents}). */
	record ReleaseEvents() implements Event {

		@Override
		public void dispatchTo(Handler handler) {
			handler.releaseEvents(this);
		}

	}

	/** This master was the new master of an upgrade, and the old master is gone. */
	record Promoted(long oldMasterPid) implements Event {

		@Override
		public void dispatchTo(Handler handler) {
			handler.promoted(this);
		}

	}

	/**
	 * A worker said {@code WARMING}: its application started and it warms itself up.
	 * @param limit the longest its warm-up takes
	 */
	record WorkerWarming(long workerId, java.time.Duration limit) implements Event {

		@Override
		public void dispatchTo(Handler handler) {
			handler.workerWarming(this);
		}

	}

	/**
	 * A worker said {@code READY} on its channel.
	 * @param warmup its warm-up, or {@code null} if it had none
	 */
	record WorkerReady(long workerId, Warmup warmup) implements Event {

		public WorkerReady(long workerId) {
			this(workerId, null);
		}

		@Override
		public void dispatchTo(Handler handler) {
			handler.workerReady(this);
		}

	}

	/** What a worker's warm-up did: its length, the requests it sent, how many got an error. */
	record Warmup(java.time.Duration took, long requests, long errors) {
	}

	/** A worker's periodic heartbeat. */
	record WorkerHeartbeat(long workerId, long requestsServed, int inflight) implements Event {

		@Override
		public void dispatchTo(Handler handler) {
			handler.workerHeartbeat(this);
		}

	}

	/** A worker process was reaped. */
	record WorkerExited(long workerId, ExitStatus status) implements Event {

		@Override
		public void dispatchTo(Handler handler) {
			handler.workerExited(this);
		}

	}

}
