package dev.prefork.os;

import java.util.function.Consumer;

import dev.prefork.master.Command;
import dev.prefork.master.ExitStatus;
import dev.prefork.master.Signal;
import dev.prefork.master.WorkerProcess;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * A spawned worker: its pid, its channel, and the two threads that turn what happens to it
 * into commands: a channel reader and a reaper.
 */
final class NativeWorkerProcess implements WorkerProcess {

	private static final Log logger = LogFactory.getLog(NativeWorkerProcess.class);

	private final long id;

	private final int pid;

	private final MasterChannel channel;

	private final Consumer<Command> events;

	/** Guarded by {@code this}: once set, the pid may belong to another process. */
	private boolean reaped;

	NativeWorkerProcess(long id, int pid, MasterChannel channel, Consumer<Command> events) {
		this.id = id;
		this.pid = pid;
		this.channel = channel;
		this.events = events;
	}

	void start(int slot) {
		Thread reader = new Thread(() -> this.channel.readLines(this::onLine), "prefork-channel-" + slot + "-" + this.pid);
		reader.setDaemon(true);
		reader.start();
		Thread reaper = new Thread(this::reap, "prefork-reaper-" + slot + "-" + this.pid);
		reaper.setDaemon(true);
		reaper.start();
	}

	@Override
	public long pid() {
		return this.pid;
	}

	@Override
	public synchronized void signal(Signal signal) {
		if (!this.reaped) {
			Native.posix().kill(this.pid, signal.number());
		}
	}

	private void onLine(String line) {
		if (line.equals(ChannelProtocol.READY)) {
			this.events.accept(new Command.WorkerReady(this.id));
		}
		else if (line.startsWith(ChannelProtocol.HEARTBEAT + " ")) {
			String[] fields = line.split(" ");
			try {
				this.events.accept(new Command.WorkerHeartbeat(this.id, Long.parseLong(fields[1]),
						Integer.parseInt(fields[2])));
			}
			catch (RuntimeException ex) {
				logger.warn("Malformed heartbeat from pid " + this.pid + ": " + line);
			}
		}
		else {
			logger.warn("Unknown message from pid " + this.pid + ": " + line);
		}
	}

	/**
	 * Waits for the exit without reaping ({@code WNOWAIT}), marks the process reaped so no
	 * signal can reach a reused pid, and only then reaps it.
	 */
	private void reap() {
		Pointer info = Memory.allocateDirect(Native.runtime(), LibC.SIGINFO_SIZE, true);
		while (Native.libc().waitid(LibC.P_PID, this.pid, info, LibC.WEXITED | LibC.WNOWAIT) != 0) {
			if (Native.errno() != LibC.EINTR) {
				logger.error("waitid for pid " + this.pid + " failed: " + Native.error("waitid").getMessage());
				return;
			}
		}
		int[] status = new int[1];
		synchronized (this) {
			this.reaped = true;
			while (Native.posix().waitpid(this.pid, status, 0) < 0 && Native.posix().errno() == LibC.EINTR) {
				// retry
			}
		}
		this.channel.closeWriter();
		this.events.accept(new Command.WorkerExited(this.id, ExitStatus.fromWaitStatus(status[0])));
	}

}
