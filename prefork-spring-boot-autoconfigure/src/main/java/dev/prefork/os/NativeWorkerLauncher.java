package dev.prefork.os;

import java.io.IOException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import dev.prefork.master.Command;
import dev.prefork.master.ExitStatus;
import dev.prefork.master.ListenAddress;
import dev.prefork.master.Source;
import dev.prefork.master.WorkerLauncher;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import dev.prefork.master.ChildProcess;

/**
 * Spawns workers natively: the listening socket on fd 0, the master's stdout and stderr on 1
 * and 2, the worker's ends of its private channel on 3 and 4, and nothing else.
 */
public final class NativeWorkerLauncher implements WorkerLauncher {

	/** Environment variables that belong to the master alone (systemd hands them to one process). */
	private static final List<String> MASTER_ONLY_ENVIRONMENT = List.of("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
			"NOTIFY_SOCKET", UpgradeHandoff.OLD_MASTER_PID, UpgradeHandoff.LISTEN_FD, UpgradeHandoff.NOTIFY_FD);

	private final ListenSockets sockets;

	private final JvmCommandLine commandLine;

	private final Map<String, String> environment;

	/**
	 * Creates a launcher.
	 * @param sockets the listening sockets workers serve, by address
	 * @param commandLine how to start a worker JVM
	 * @param environment more environment for workers, on top of the master's own
	 */
	public NativeWorkerLauncher(ListenSockets sockets, JvmCommandLine commandLine, Map<String, String> environment) {
		this.sockets = sockets;
		this.commandLine = commandLine;
		this.environment = environment;
	}

	@Override
	public ChildProcess launch(WorkerSpec spec, Consumer<Command> events) throws IOException {
		ListenSocket socket = this.sockets.get(spec.settings().listen());
		int[] toWorker = pipe();
		int[] fromWorker;
		try {
			fromWorker = pipe();
		}
		catch (IOException ex) {
			closeAll(toWorker);
			throw ex;
		}
		try {
			// The worker's ends must not sit on the numbers they are moved to.
			toWorker[0] = Descriptors.moveAbove(toWorker[0], ChannelProtocol.WORKER_WRITE_FD);
			fromWorker[1] = Descriptors.moveAbove(fromWorker[1], ChannelProtocol.WORKER_WRITE_FD);
			Map<Integer, Integer> descriptors = new LinkedHashMap<>();
			descriptors.put(socket.fd(), 0);
			descriptors.put(toWorker[0], ChannelProtocol.WORKER_READ_FD);
			descriptors.put(fromWorker[1], ChannelProtocol.WORKER_WRITE_FD);
			JvmCommandLine command = this.commandLine.withJvmArgs(spec.settings().workerJvmArgs());
			int pid = Spawn.spawn(command.executable(), command.argv(), environment(spec), descriptors);
			NativeChildProcess process = new NativeChildProcess(pid, new MasterChannel(fromWorker[0], toWorker[1]),
					new WorkerListener(spec.id(), pid, events));
			process.start(spec.slot() + "-" + pid);
			return process;
		}
		catch (IOException | RuntimeException ex) {
			Native.closeQuietly(fromWorker[0]);
			Native.closeQuietly(toWorker[1]);
			throw ex;
		}
		finally {
			Native.closeQuietly(toWorker[0]);
			Native.closeQuietly(fromWorker[1]);
		}
	}

	@Override
	public void retainListeners(Collection<ListenAddress> inUse) {
		this.sockets.retain(inUse);
	}

	static int[] pipe() throws IOException {
		int[] fds = new int[2];
		if (Native.libc().pipe2(fds, LibC.O_CLOEXEC) != 0) {
			throw Native.error("pipe2");
		}
		return fds;
	}

	private static void closeAll(int[] fds) {
		for (int fd : fds) {
			Native.closeQuietly(fd);
		}
	}

	private Map<String, String> environment(WorkerSpec spec) {
		Map<String, String> environment = new LinkedHashMap<>(System.getenv());
		MASTER_ONLY_ENVIRONMENT.forEach(environment::remove);
		environment.putAll(this.environment);
		environment.put(WorkerEnvironment.ROLE, WorkerEnvironment.ROLE_WORKER);
		environment.put(WorkerEnvironment.SLOT, Integer.toString(spec.slot()));
		environment.put(WorkerEnvironment.GENERATION, Integer.toString(spec.generation()));
		environment.put(WorkerEnvironment.HEARTBEAT_INTERVAL, Long.toString(spec.settings().heartbeatInterval().toMillis()));
		environment.put(WorkerEnvironment.GRACEFUL_TIMEOUT, Long.toString(spec.settings().gracefulTimeout().toMillis()));
		return environment;
	}

	/** Turns a worker's lines and exit into the master's commands. */
	private record WorkerListener(long id, int pid, Consumer<Command> events) implements NativeChildProcess.Listener {

		private static final Log logger = LogFactory.getLog(NativeWorkerLauncher.class);

		@Override
		public void line(String line) {
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
			else if (line.startsWith(ChannelProtocol.COMMAND + " ")) {
				Command command = ControlCharacters.ofName(line.substring(ChannelProtocol.COMMAND.length() + 1),
						Source.APPLICATION);
				if (command != null) {
					this.events.accept(command);
				}
				else {
					logger.warn("Unknown command from the application in pid " + this.pid + ": " + line);
				}
			}
			else {
				logger.warn("Unknown message from pid " + this.pid + ": " + line);
			}
		}

		@Override
		public void exited(ExitStatus status) {
			this.events.accept(new Command.WorkerExited(this.id, status));
		}

	}

}
