package dev.prefork.os;

import java.io.IOException;
import java.nio.file.Path;

import dev.prefork.master.ChildProcess;
import dev.prefork.master.ExitStatus;
import dev.prefork.master.Signal;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * A spawned child (worker or new master): its pid, its channel, and the two threads that
 * report what happens to it: a channel reader and a reaper.
 */
final class NativeChildProcess implements ChildProcess {

	private static final Log logger = LogFactory.getLog(NativeChildProcess.class);

	private final int pid;

	private final MasterChannel channel;

	private final Listener listener;

	/** Guarded by {@code this}: once set, the pid may belong to another process. */
	private boolean reaped;

	/** Whether a thread dump was asked for: then the JVM's attach socket may outlive its SIGKILL. */
	private volatile boolean dumped;

	NativeChildProcess(int pid, MasterChannel channel, Listener listener) {
		this.pid = pid;
		this.channel = channel;
		this.listener = listener;
	}

	/**
	 * Starts the reader and reaper threads.
	 * @param name names the threads, e.g. {@code 0-1234} for worker slot 0, pid 1234
	 */
	void start(String name) {
		Thread reader = new Thread(() -> this.channel.read(this.listener::line, this.listener::frame, this::broken),
				"prefork-channel-" + name);
		reader.setDaemon(true);
		reader.start();
		Thread reaper = new Thread(this::reap, "prefork-reaper-" + name);
		reaper.setDaemon(true);
		reaper.start();
	}

	/**
	 * The child sent what no prefork process sends: its channel cannot be trusted, so it is
	 * stopped (gracefully: its requests in flight finish) and the master replaces it.
	 */
	private void broken(String reason) {
		logger.error("The channel of pid " + this.pid + " is broken: it sent " + reason + "; stopping it, the master "
				+ "replaces it");
		signal(Signal.TERM);
	}

	/** Sends one line to the child. */
	void send(String line) throws IOException {
		this.channel.send(line);
	}

	@Override
	public long pid() {
		return this.pid;
	}

	@Override
	public synchronized void lowerPriority(int increment) {
		if (!this.reaped) {
			ThreadPriorities.lower(this.pid, increment);
		}
	}

	@Override
	public synchronized void signal(Signal signal) {
		if (!this.reaped) {
			Native.posix().kill(this.pid, signal.number());
		}
	}

	/**
	 * Writes the child's thread dump to a file of its own, on a thread of its own (the master
	 * loop must not wait); if the JVM does not answer, SIGQUIT alone has it print the dump.
	 */
	@Override
	public String dumpThreads(String label) {
		Path file;
		try {
			file = ThreadDump.newFile(label, this.pid);
		}
		catch (IOException ex) {
			signal(Signal.QUIT);
			return "to its console (SIGQUIT: " + ex.getMessage() + ")";
		}
		this.dumped = true;
		Thread dump = new Thread(() -> {
			try {
				ThreadDump.write(this.pid, file, () -> signal(Signal.QUIT));
			}
			catch (IOException | RuntimeException ex) {
				logger.warn("Could not write the thread dump of pid " + this.pid + " to " + file + " (" + ex.getMessage()
						+ "); sending SIGQUIT: the JVM prints it to the console");
				signal(Signal.QUIT);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}, "prefork-thread-dump-" + this.pid);
		dump.setDaemon(true);
		dump.start();
		return "to " + file;
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
		if (this.dumped) {
			ThreadDump.removeSocket(this.pid);
		}
		this.listener.exited(ExitStatus.fromWaitStatus(status[0]));
	}

	/** Receives, on the reader and reaper threads, what the child says and how it ended. */
	interface Listener {

		void line(String line);

		/** A {@code ANSWER} line and its payload. */
		default void frame(String header, byte[] payload) {
		}

		void exited(ExitStatus status);

	}

}
