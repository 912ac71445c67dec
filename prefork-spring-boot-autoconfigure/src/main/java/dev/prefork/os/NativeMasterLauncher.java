package dev.prefork.os;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import dev.prefork.master.ChildProcess;
import dev.prefork.master.Command;
import dev.prefork.master.ExitStatus;
import dev.prefork.master.MasterSettings;
import dev.prefork.master.RecordedPaths;
import dev.prefork.master.UpgradeLauncher;
import dev.prefork.protocol.MasterOnlyEnvironment;
import dev.prefork.protocol.ChannelProtocol;
import dev.prefork.protocol.WorkerEnvironment;

/**
 * Starts the new master of an upgrade natively: the master's own command line, its stdin,
 * stdout and stderr, the listening socket on fd 3 and a readiness pipe on fd 4 (see
 * {@link UpgradeHandoff}), and nothing else.
 */
public final class NativeMasterLauncher implements UpgradeLauncher {

	private final ListenSockets sockets;

	private final JvmCommandLine commandLine;

	private final long pid;

	private RecordedPaths recordedPaths = new RecordedPaths();

	/**
	 * Creates a launcher.
	 * @param sockets the master's listening sockets
	 * @param commandLine the master's own command line
	 * @param pid the master's pid
	 */
	public NativeMasterLauncher(ListenSockets sockets, JvmCommandLine commandLine, long pid) {
		this.sockets = sockets;
		this.commandLine = commandLine;
		this.pid = pid;
	}

	/**
	 * Hands the new master the warm-up paths recorded so far, so that its first workers warm
	 * up with them.
	 * @return this launcher
	 */
	public NativeMasterLauncher handingOver(RecordedPaths paths) {
		this.recordedPaths = paths;
		return this;
	}

	@Override
	public ChildProcess launch(MasterSettings settings, Consumer<Command> events) throws IOException {
		ListenSocket socket = this.sockets.get(settings.listen());
		int[] notify = NativeWorkerLauncher.pipe();
		int listenCopy = -1;
		try {
			notify[1] = Descriptors.moveAbove(notify[1], UpgradeHandoff.CHILD_NOTIFY_FD);
			listenCopy = Descriptors.duplicateAbove(socket.fd(), UpgradeHandoff.CHILD_NOTIFY_FD);
			Map<Integer, Integer> descriptors = new LinkedHashMap<>();
			descriptors.put(listenCopy, UpgradeHandoff.CHILD_LISTEN_FD);
			descriptors.put(notify[1], UpgradeHandoff.CHILD_NOTIFY_FD);
			Map<String, String> environment = new LinkedHashMap<>(System.getenv());
			MasterOnlyEnvironment.removeForNewMaster(environment);
			environment.put(MasterOnlyEnvironment.UPGRADE_FROM, Long.toString(this.pid));
			environment.remove(WorkerEnvironment.WARMUP_PATHS);
			List<String> paths = this.recordedPaths.top();
			if (!paths.isEmpty()) {
				environment.put(WorkerEnvironment.WARMUP_PATHS, String.join("\n", paths));
			}
			environment.put(MasterOnlyEnvironment.UPGRADE_LISTEN_FD, Integer.toString(UpgradeHandoff.CHILD_LISTEN_FD));
			environment.put(MasterOnlyEnvironment.UPGRADE_NOTIFY_FD, Integer.toString(UpgradeHandoff.CHILD_NOTIFY_FD));
			int child = Spawn.spawn(this.commandLine.executable(), this.commandLine.argv(), environment, descriptors);
			NativeChildProcess process = new NativeChildProcess(child, new MasterChannel(notify[0], -1),
					new NewMasterListener(child, events));
			process.start("master-" + child);
			return process;
		}
		catch (IOException | RuntimeException ex) {
			Native.closeQuietly(notify[0]);
			throw ex;
		}
		finally {
			Native.closeQuietly(notify[1]);
			Native.closeQuietly(listenCopy);
		}
	}

	private record NewMasterListener(int pid, Consumer<Command> events) implements NativeChildProcess.Listener {

		@Override
		public void line(String line) {
			if (line.equals(ChannelProtocol.READY)) {
				this.events.accept(new Command.UpgradeReady(this.pid));
			}
		}

		@Override
		public void exited(ExitStatus status) {
			this.events.accept(new Command.UpgradeExited(this.pid, status));
		}

	}

}
