package dev.prefork.autoconfigure;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import dev.prefork.master.ControlCommand;
import dev.prefork.master.Master;
import dev.prefork.master.Source;
import dev.prefork.os.MasterSignals;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The {@code prefork-master} thread and the signal handlers that feed it. It starts as soon
 * as the {@link Master} bean exists, while the rest of the master's application (its
 * management server, metrics, health) is still starting: the first worker boots meanwhile.
 * Until that application has started, the master's events are held back, so that every
 * observer sees all of them; if it fails to start, the workers already spawned are stopped
 * before its beans (the listening socket among them) are destroyed.
 */
final class MasterLoop {

	private static final Log logger = LogFactory.getLog(MasterLoop.class);

	private final AtomicInteger exitCode = new AtomicInteger(1);

	private Master master;

	private Thread thread;

	/** Installs the signal handlers and starts the loop, its events held back. */
	synchronized void start(Master master) {
		if (this.master != null) {
			throw new IllegalStateException("The master loop runs already");
		}
		this.master = master.holdEvents();
		List<String> failed = MasterSignals.install(ControlCommand.signals(), (signal) -> onSignal(master, signal));
		if (!failed.isEmpty()) {
			logger.error("Cannot handle SIG" + String.join(", SIG", failed) + " in this JVM (-Xrs?); "
					+ "the master cannot be stopped gracefully with those signals");
		}
		this.thread = new Thread(() -> this.exitCode.set(master.run()), "prefork-master");
		// Not the web server's class loader, whose start may be what created the Master bean.
		this.thread.setContextClassLoader(MasterLoop.class.getClassLoader());
		this.thread.start();
	}

	/** The master's application has started: its observers get the events held back, and later ones. */
	void started() {
		master().releaseEvents();
	}

	/**
	 * Stops the workers at once and waits for the loop, if it still runs: the master's
	 * application is closing while it does (it failed to start after the loop did, or the
	 * JVM exits). The events held back are then passed on but {@code ready}: an upgrade's
	 * old master must not hear that this master is ready.
	 */
	void stop() {
		Master running;
		Thread loop;
		synchronized (this) {
			running = this.master;
			loop = this.thread;
		}
		if (running == null || loop == Thread.currentThread()) {
			return;
		}
		if (loop.isAlive()) {
			logger.error("The master's own application is closing (it failed to start, or the JVM exits) while "
					+ "the master runs; stopping the workers");
			running.submit(ControlCommand.QUICK_STOP.create(Source.MASTER));
		}
		awaitExit();
	}

	/**
	 * Waits for the loop to end. Events still held back then (it ended before the master's
	 * application had started) are passed on, but {@code ready}.
	 */
	int awaitExit() {
		Thread loop;
		Master running;
		synchronized (this) {
			loop = this.thread;
			running = this.master;
		}
		try {
			loop.join();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			loop.interrupt();
			return this.exitCode.get();
		}
		running.releaseEventsAfterRun();
		return this.exitCode.get();
	}

	private synchronized Master master() {
		if (this.master == null) {
			throw new IllegalStateException("The master loop has not started: the master's application made no Master");
		}
		return this.master;
	}

	/** Signal handlers only enqueue: the master thread does the work. */
	private static void onSignal(Master master, String signal) {
		ControlCommand command = ControlCommand.ofSignal(signal).orElse(null);
		if (command == null) {
			logger.warn("SIG" + signal + " is not handled");
		}
		else if (command == ControlCommand.STOP_WORKERS && MasterSignals.stdinIsTerminal()) {
			logger.info("SIGWINCH ignored: the master's stdin is a terminal, where resizing the window sends it. "
					+ "Start the master with stdin redirected (< /dev/null) to stop workers with WINCH");
		}
		else {
			master.submit(command.create(Source.SIGNAL));
		}
	}

}
