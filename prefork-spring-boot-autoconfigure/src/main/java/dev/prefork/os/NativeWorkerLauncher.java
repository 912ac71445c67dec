package dev.prefork.os;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import dev.prefork.master.Command;
import dev.prefork.master.WorkerLauncher;
import dev.prefork.master.WorkerProcess;

/**
 * Spawns workers natively: the listening socket on fd 0, the worker's end of its private
 * channel on fd 3, the master's stdout and stderr on 1 and 2, and nothing else.
 */
public final class NativeWorkerLauncher implements WorkerLauncher {

	/** Environment variables that belong to the master alone (systemd hands them to one process). */
	private static final List<String> MASTER_ONLY_ENVIRONMENT = List.of("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
			"NOTIFY_SOCKET");

	private final ListenSocket socket;

	private final WorkerCommandLine commandLine;

	private final Map<String, String> environment;

	/**
	 * Creates a launcher.
	 * @param socket the listening socket every worker serves
	 * @param commandLine how to start a worker JVM
	 * @param environment the environment to give workers on top of the master's own
	 */
	public NativeWorkerLauncher(ListenSocket socket, WorkerCommandLine commandLine, Map<String, String> environment) {
		this.socket = socket;
		this.commandLine = commandLine;
		this.environment = environment;
	}

	@Override
	public WorkerProcess launch(WorkerSpec spec, Consumer<Command> events) throws IOException {
		int[] pair = new int[2];
		if (Native.posix().socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, pair) != 0) {
			throw Native.error("socketpair");
		}
		int masterEnd = pair[0];
		int workerEnd = pair[1];
		try {
			workerEnd = Descriptors.moveAbove(workerEnd, ChannelProtocol.WORKER_FD);
			Map<Integer, Integer> descriptors = new LinkedHashMap<>();
			descriptors.put(this.socket.fd(), 0);
			descriptors.put(workerEnd, ChannelProtocol.WORKER_FD);
			int pid = Spawn.spawn(this.commandLine.executable(), this.commandLine.argv(), environment(spec),
					descriptors);
			NativeWorkerProcess process = new NativeWorkerProcess(spec.id(), pid, new LineChannel(masterEnd), events);
			process.start(spec.slot());
			return process;
		}
		catch (IOException | RuntimeException ex) {
			Native.closeQuietly(masterEnd);
			throw ex;
		}
		finally {
			Native.closeQuietly(workerEnd);
		}
	}

	private Map<String, String> environment(WorkerSpec spec) {
		Map<String, String> environment = new LinkedHashMap<>(System.getenv());
		MASTER_ONLY_ENVIRONMENT.forEach(environment::remove);
		environment.putAll(this.environment);
		environment.put(WorkerEnvironment.ROLE, WorkerEnvironment.ROLE_WORKER);
		environment.put(WorkerEnvironment.SLOT, Integer.toString(spec.slot()));
		environment.put(WorkerEnvironment.GENERATION, Integer.toString(spec.generation()));
		environment.put(WorkerEnvironment.CHANNEL_FD, Integer.toString(ChannelProtocol.WORKER_FD));
		return environment;
	}

}
