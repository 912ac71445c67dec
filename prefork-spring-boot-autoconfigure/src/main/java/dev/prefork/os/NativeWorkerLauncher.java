package dev.prefork.os;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import dev.prefork.hooks.WorkerLaunch;
import dev.prefork.master.ChildProcess;
import dev.prefork.master.Command;
import dev.prefork.master.ControlCommand;
import dev.prefork.master.ExitStatus;
import dev.prefork.master.ListenAddress;
import dev.prefork.master.PathReports;
import dev.prefork.master.RecordedPaths;
import dev.prefork.master.Source;
import dev.prefork.master.WorkerBudget;
import dev.prefork.master.WorkerLauncher;
import dev.prefork.protocol.MasterOnlyEnvironment;
import dev.prefork.protocol.ChannelProtocol;
import dev.prefork.protocol.WorkerEnvironment;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Spawns workers natively: the listening socket on fd 0, the master's stdout and stderr on 1
 * and 2, the worker's ends of its private channel on 3 and 4, and nothing else.
 */
public final class NativeWorkerLauncher implements WorkerLauncher {

	private static final Log logger = LogFactory.getLog(NativeWorkerLauncher.class);

	/** Which GPU a CUDA application in the worker sees. */
	static final String CUDA_VISIBLE_DEVICES = "CUDA_VISIBLE_DEVICES";

	private final ListenSockets sockets;

	private final JvmCommandLine commandLine;

	/** A worker's cold command line to the one it starts with. */
	private final UnaryOperator<JvmCommandLine> preload;

	private final Map<String, String> environment;

	private List<? extends Consumer<WorkerLaunch>> beforeLaunch = List.of();

	private RecordedPaths recordedPaths = new RecordedPaths();

	/** Workers not reaped yet, by pid, for requests (scrapes, health) from other threads. */
	private final Map<Long, WorkerListener> live = new ConcurrentHashMap<>();

	private final AtomicLong requestIds = new AtomicLong();

	/** The user workers run as, or {@code null} for the master's. */
	private WorkerUser user;

	/**
	 * Creates a launcher.
	 * @param sockets the listening sockets workers serve, by address
	 * @param commandLine how to start a worker JVM
	 * @param preload turns a worker's cold command line into the one it starts with: with
	 * the class-data archive, when there is one ({@code ClassDataArchive::commandLine})
	 * @param environment more environment for workers, on top of the master's own
	 */
	public NativeWorkerLauncher(ListenSockets sockets, JvmCommandLine commandLine, UnaryOperator<JvmCommandLine> preload,
			Map<String, String> environment) {
		this.sockets = sockets;
		this.commandLine = commandLine.withoutMasterSecrets();
		this.preload = preload;
		this.environment = environment;
	}

	/**
	 * Lets {@code hooks} change each worker's environment and JVM options before it starts.
	 * @param hooks called in order on the master thread; what one throws is logged and the
	 * next one runs
	 * @return this launcher
	 */
	public NativeWorkerLauncher beforeLaunch(List<? extends Consumer<WorkerLaunch>> hooks) {
		this.beforeLaunch = hooks;
		return this;
	}

	/**
	 * Starts every worker as {@code user} ({@code prefork.user}), through setpriv.
	 * @param user the user, or {@code null} for the master's own
	 * @return this launcher
	 */
	public NativeWorkerLauncher runningAs(WorkerUser user) {
		this.user = user;
		return this;
	}

	/**
	 * Where the paths workers report go, and what new workers warm up with.
	 * @return this launcher
	 */
	public NativeWorkerLauncher recordingPathsIn(RecordedPaths paths) {
		this.recordedPaths = paths;
		return this;
	}

	@Override
	public ChildProcess launch(WorkerSpec spec, Consumer<Command> events) throws IOException {
		WorkerLaunch launch = new WorkerLaunch(spec.slot(), spec.generation(), spec.gpu(), userEnvironment(spec),
				jvmOptions(spec));
		for (Consumer<WorkerLaunch> hook : this.beforeLaunch) {
			try {
				hook.accept(launch);
			}
			catch (RuntimeException | LinkageError ex) {
				logger.error(hook + ".preFork failed for worker " + spec.slot() + "; the master goes on: " + ex, ex);
			}
		}
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
			if (this.user != null) {
				// The worker opens its ends again through /proc/self/fd, which checks the pipe's
				// owner (root, mode 600): the pipes become the worker's user's.
				this.user.own(toWorker[0]);
				this.user.own(fromWorker[1]);
			}
			Map<Integer, Integer> descriptors = new LinkedHashMap<>();
			descriptors.put(socket.fd(), 0);
			descriptors.put(toWorker[0], ChannelProtocol.WORKER_READ_FD);
			descriptors.put(fromWorker[1], ChannelProtocol.WORKER_WRITE_FD);
			JvmCommandLine command = this.preload.apply(this.commandLine.withJvmArgs(launch.jvmOptions()));
			int pid = (this.user != null)
					// In a session of its own: another user's process must not reach the master's terminal.
					? Spawn.spawn(this.user.setpriv().toString(), this.user.wrap(command.executable(), command.argv()),
							environment(spec, launch.environment()), descriptors, true)
					: Spawn.spawn(command.executable(), command.argv(), environment(spec, launch.environment()),
							descriptors);
			WorkerListener listener = new WorkerListener(spec.id(), pid, events, this.live, this.recordedPaths,
					this.user == null);
			NativeChildProcess process = new NativeChildProcess(pid, new MasterChannel(fromWorker[0], toWorker[1]),
					listener);
			listener.process = process;
			this.live.put((long) pid, listener);
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

	/**
	 * Asks a worker for its Prometheus text over its channel. Safe from any thread.
	 * @param pid the worker
	 * @return the text, or a failed future if the worker is gone or cannot be reached; the
	 * caller bounds the wait
	 */
	public CompletableFuture<byte[]> scrape(long pid) {
		return ask(pid, ChannelProtocol.SCRAPE);
	}

	/**
	 * Asks a worker for the health of the application's contributors (JSON) over its channel.
	 * Safe from any thread.
	 * @param pid the worker
	 * @return the document, or a failed future as for {@link #scrape}
	 */
	public CompletableFuture<byte[]> health(long pid) {
		return ask(pid, ChannelProtocol.HEALTH);
	}

	/**
	 * Passes a call for one of the application's endpoints to a worker over its channel. Safe
	 * from any thread.
	 * @param pid the worker
	 * @param call the encoded {@code EndpointCall}
	 * @return its encoded {@code EndpointReply}, or a failed future as for {@link #scrape}
	 */
	public CompletableFuture<byte[]> endpoint(long pid, String call) {
		return ask(pid, ChannelProtocol.ENDPOINT, call);
	}

	private CompletableFuture<byte[]> ask(long pid, String request) {
		return ask(pid, request, null);
	}

	private CompletableFuture<byte[]> ask(long pid, String request, String argument) {
		WorkerListener worker = this.live.get(pid);
		if (worker == null) {
			return CompletableFuture.failedFuture(new IOException("no worker with pid " + pid));
		}
		long id = this.requestIds.incrementAndGet();
		CompletableFuture<byte[]> answer = new CompletableFuture<>();
		worker.answers.put(id, answer);
		answer.whenComplete((result, failure) -> worker.answers.remove(id));
		try {
			worker.process.send(request + " " + id + ((argument != null) ? " " + argument : ""));
		}
		catch (IOException ex) {
			answer.completeExceptionally(ex);
		}
		return answer;
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

	/** The JVM options a worker starts with that hooks may change: its share of the machine, then prefork.worker.jvm-args. */
	private static List<String> jvmOptions(WorkerSpec spec) {
		List<String> options = new ArrayList<>();
		// First, so that ps tells the workers (and their slots) from the master, which has none.
		options.add(WorkerEnvironment.PROCESS_MARKER + spec.slot());
		WorkerBudget.WorkerResources resources = spec.resources();
		if (resources.heapOption() != null) {
			options.add(resources.heapOption());
		}
		if (resources.processors() > 0) {
			options.add("-XX:ActiveProcessorCount=" + resources.processors());
		}
		if (resources.virtualThreadCarriers() > 0) {
			options.add("-Djdk.virtualThreadScheduler.parallelism=" + resources.virtualThreadCarriers());
		}
		options.addAll(spec.settings().workerJvmArgs());
		return options;
	}

	/** The environment a worker starts with that hooks may change: the master's own, and its GPU. */
	private Map<String, String> userEnvironment(WorkerSpec spec) {
		Map<String, String> environment = new LinkedHashMap<>(System.getenv());
		MasterOnlyEnvironment.removeForWorker(environment);
		this.commandLine.removeMasterSecrets(environment);
		if (spec.gpu() != null) {
			environment.put(CUDA_VISIBLE_DEVICES, spec.gpu());
		}
		return environment;
	}

	/** The worker's final environment: prefork's variables on top of what the hooks left. */
	private Map<String, String> environment(WorkerSpec spec, Map<String, String> user) {
		Map<String, String> environment = new LinkedHashMap<>(user);
		environment.putAll(this.environment);
		environment.put(WorkerEnvironment.ROLE, WorkerEnvironment.ROLE_WORKER);
		environment.put(WorkerEnvironment.SLOT, Integer.toString(spec.slot()));
		environment.put(WorkerEnvironment.GENERATION, Integer.toString(spec.generation()));
		WorkerEnvironment.putMillis(environment, WorkerEnvironment.HEARTBEAT_INTERVAL, spec.settings().heartbeatInterval());
		WorkerEnvironment.putMillis(environment, WorkerEnvironment.GRACEFUL_TIMEOUT, spec.settings().gracefulTimeout());
		environment.put(WorkerEnvironment.NOBODY_SERVES, Boolean.toString(spec.nobodyServes()));
		environment.remove(WorkerEnvironment.WARMUP_PATHS);
		List<String> paths = this.recordedPaths.top();
		if (!paths.isEmpty()) {
			environment.put(WorkerEnvironment.WARMUP_PATHS, String.join("\n", paths));
		}
		if (spec.resources().requestThreads() > 0) {
			environment.put(WorkerEnvironment.REQUEST_THREADS, Integer.toString(spec.resources().requestThreads()));
		}
		return environment;
	}

	private static final int COMMANDS_PER_MINUTE = 10;

	/** Turns a worker's lines and exit into the master's commands, and completes the answers to its requests. */
	private static final class WorkerListener implements NativeChildProcess.Listener {

		private final long id;

		private final int pid;

		private final Consumer<Command> events;

		private final Map<Long, WorkerListener> live;

		final Map<Long, CompletableFuture<byte[]>> answers = new ConcurrentHashMap<>();

		/** Commands from the application's code: a loop calling PreforkControl must not flood the master. */
		private final RateLimit commands = new RateLimit(COMMANDS_PER_MINUTE, Duration.ofMinutes(1));

		private final RateLimit warnings = new RateLimit(10, Duration.ofMinutes(1));

		private final PathReports paths;

		volatile NativeChildProcess process;

		/** Whether the application may send the master commands: not when workers run as another user. */
		private final boolean trusted;

		WorkerListener(long id, int pid, Consumer<Command> events, Map<Long, WorkerListener> live, RecordedPaths paths,
				boolean trusted) {
			this.id = id;
			this.trusted = trusted;
			this.paths = new PathReports(paths);
			this.pid = pid;
			this.events = events;
			this.live = live;
		}

		@Override
		public void line(String line) {
			if (line.equals(ChannelProtocol.READY)) {
				this.events.accept(new Command.WorkerReady(this.id));
			}
			else if (line.startsWith(ChannelProtocol.READY + " ")) {
				String[] fields = line.split(" ");
				try {
					this.events.accept(new Command.WorkerReady(this.id, new Command.Warmup(
							Duration.ofMillis(Long.parseLong(fields[1])), Long.parseLong(fields[2]), Long.parseLong(fields[3]))));
				}
				catch (RuntimeException ex) {
					warn("Malformed READY from pid " + this.pid + ": " + ChannelProtocol.printable(line));
					this.events.accept(new Command.WorkerReady(this.id));
				}
			}
			else if (line.startsWith(ChannelProtocol.WARMING + " ")) {
				try {
					long limit = Long.parseLong(line.substring(ChannelProtocol.WARMING.length() + 1));
					this.events.accept(new Command.WorkerWarming(this.id, Duration.ofMillis(Math.max(0, limit))));
				}
				catch (NumberFormatException ex) {
					warn("Malformed WARMING from pid " + this.pid + ": " + ChannelProtocol.printable(line));
				}
			}
			else if (line.startsWith(ChannelProtocol.PATHS + " ")) {
				recordPaths(line);
			}
			else if (line.startsWith(ChannelProtocol.HEARTBEAT + " ")) {
				String[] fields = line.split(" ");
				try {
					long served = Long.parseLong(fields[1]);
					this.events.accept(new Command.WorkerHeartbeat(this.id, served, Integer.parseInt(fields[2])));
					this.paths.heartbeat(served);
				}
				catch (RuntimeException ex) {
					warn("Malformed heartbeat from pid " + this.pid + ": " + ChannelProtocol.printable(line));
				}
			}
			else if (line.startsWith(ChannelProtocol.COMMAND + " ")) {
				Command command = ControlCommand.fromApplication(line.substring(ChannelProtocol.COMMAND.length() + 1))
					.map((known) -> known.create(Source.APPLICATION))
					.orElse(null);
				if (command == null) {
					warn("Unknown command from the application in pid " + this.pid + ": " + ChannelProtocol.printable(line));
				}
				else if (!this.trusted) {
					warn("Ignoring a command from the application in pid " + this.pid + ": workers run as another user "
							+ "(prefork.user), and their code does not steer the master (" + ChannelProtocol.printable(line)
							+ ")");
				}
				else if (this.commands.tryAcquire()) {
					this.events.accept(command);
				}
				else {
					warn("Ignoring a command from the application in pid " + this.pid + ": more than "
							+ COMMANDS_PER_MINUTE + " a minute (" + ChannelProtocol.printable(line) + ")");
				}
			}
			else {
				warn("Unknown message from pid " + this.pid + ": " + ChannelProtocol.printable(line));
			}
		}

		/** {@code PATHS <count> <path> ...}: recorded whole or not at all, and logged (rate-limited) if not. */
		private void recordPaths(String line) {
			String refused = this.paths.report(line);
			if (refused != null) {
				warn("Refused PATHS from pid " + this.pid + ": " + refused + ": " + ChannelProtocol.printable(line));
			}
		}

		/** Logs what a worker got wrong, at most a few lines a minute: a worker may send anything, and a lot. */
		private void warn(String message) {
			if (this.warnings.tryAcquire()) {
				logger.warn(message);
			}
		}

		@Override
		public void frame(String header, byte[] payload) {
			String[] fields = header.split(" ");
			try {
				CompletableFuture<byte[]> answer = (fields.length == 3) ? this.answers.get(Long.parseLong(fields[1])) : null;
				if (answer != null) {
					answer.complete(payload);
				}
			}
			catch (NumberFormatException ex) {
				warn("Malformed ANSWER header from pid " + this.pid + ": " + ChannelProtocol.printable(header));
			}
		}

		@Override
		public void exited(ExitStatus status) {
			this.live.remove((long) this.pid);
			IOException gone = new IOException("worker pid " + this.pid + " exited");
			this.answers.values().forEach((answer) -> answer.completeExceptionally(gone));
			this.events.accept(new Command.WorkerExited(this.id, status));
		}

	}

}
