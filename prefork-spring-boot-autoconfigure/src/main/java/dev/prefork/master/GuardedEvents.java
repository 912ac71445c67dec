package dev.prefork.master;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Passes each event to every observer in turn; an observer that throws (a user's server
 * hook, say) is logged and the others and the master go on. Events can be held back and
 * passed on later, in order ({@link #hold}, {@link #release}).
 */
final class GuardedEvents implements MasterEvents {

	private static final Log logger = LogFactory.getLog(Master.class);

	private final List<MasterEvents> observers;

	/** Events held back until {@link #release}, in order; {@code null} while events pass at once. */
	private List<Held> held;

	private record Held(String event, Consumer<MasterEvents> call) {
	}

	private GuardedEvents(List<MasterEvents> observers) {
		this.observers = observers;
	}

	/** Events for the observers in {@code observers}, as that list is at each event. */
	static GuardedEvents of(List<MasterEvents> observers) {
		return new GuardedEvents(observers);
	}

	/** Holds back every event but {@code starting} until {@link #release}. */
	synchronized void hold() {
		if (this.held == null) {
			this.held = new ArrayList<>();
		}
	}

	/**
	 * Passes the events held back so far to the observers there are now, in order, and every
	 * later event at once.
	 * @param withReady whether a held {@code ready} is passed on too: not once the master
	 * stopped (an upgrade's old master must not hear that a stopped new master is ready)
	 */
	synchronized void release(boolean withReady) {
		if (this.held != null) {
			for (Held event : this.held) {
				if (withReady || !event.event().equals("ready")) {
					deliver(event.event(), event.call());
				}
			}
			this.held = null;
		}
	}

	private void each(String event, Consumer<MasterEvents> call) {
		synchronized (this) {
			if (this.held != null) {
				this.held.add(new Held(event, call));
				return;
			}
		}
		deliver(event, call);
	}

	private void deliver(String event, Consumer<MasterEvents> call) {
		for (MasterEvents observer : this.observers) {
			try {
				call.accept(observer);
			}
			catch (RuntimeException | LinkageError ex) {
				logger.error(observer.describe() + "." + event + " failed; the master goes on: " + ex, ex);
			}
		}
	}

	@Override
	public void starting(MasterSettings settings) {
		// At once: the user's on_starting hook comes before the first worker's pre_fork.
		deliver("starting", (observer) -> observer.starting(settings));
	}

	@Override
	public void ready(int workers) {
		each("ready", (observer) -> observer.ready(workers));
	}

	@Override
	public void workersChanged(int from, int to) {
		each("workersChanged", (observer) -> observer.workersChanged(from, to));
	}

	@Override
	public void reloadStarted(int generation) {
		each("reloadStarted", (observer) -> observer.reloadStarted(generation));
	}

	@Override
	public void upgradeStarting() {
		each("upgradeStarting", MasterEvents::upgradeStarting);
	}

	@Override
	public void promoted(long oldMasterPid) {
		each("promoted", (observer) -> observer.promoted(oldMasterPid));
	}

	@Override
	public void stopping() {
		each("stopping", MasterEvents::stopping);
	}

	@Override
	public void exited(int exitCode) {
		each("exited", (observer) -> observer.exited(exitCode));
	}

	@Override
	public void command(String command, Source source, String signal) {
		each("command", (observer) -> observer.command(command, source, signal));
	}

	@Override
	public void workerSpawned(int slot, String reason) {
		each("workerSpawned", (observer) -> observer.workerSpawned(slot, reason));
	}

	@Override
	public void workerWarming(int slot, long pid) {
		each("workerWarming", (observer) -> observer.workerWarming(slot, pid));
	}

	@Override
	public void workerWarmedUp(int slot, long pid, Command.Warmup warmup) {
		each("workerWarmedUp", (observer) -> observer.workerWarmedUp(slot, pid, warmup));
	}

	@Override
	public void workerReady(int slot, long pid, Duration bootTime) {
		each("workerReady", (observer) -> observer.workerReady(slot, pid, bootTime));
	}

	@Override
	public void workerExited(int slot, long pid, ExitReason reason, ExitStatus status) {
		each("workerExited", (observer) -> observer.workerExited(slot, pid, reason, status));
	}

	@Override
	public void reloadEnded(String result, Duration duration) {
		each("reloadEnded", (observer) -> observer.reloadEnded(result, duration));
	}

}
