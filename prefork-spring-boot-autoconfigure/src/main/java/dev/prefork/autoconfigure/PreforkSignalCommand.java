package dev.prefork.autoconfigure;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.prefork.master.ControlCommand;
import dev.prefork.os.JvmCommandLine;
import dev.prefork.os.MasterSignals;
import dev.prefork.os.Native;
import dev.prefork.os.OwnedFiles;
import dev.prefork.pidfile.Pidfile;
import dev.prefork.os.ProcFs;
import dev.prefork.protocol.WorkerEnvironment;

import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;

/**
 * {@code java -jar app.jar --prefork.signal=reload --prefork.pidfile=/run/app.pid}: sends the
 * running master the signal for a command and exits, like {@code uwsgi --reload pidfile};
 * {@code --prefork.signal=status} prints its status instead ({@link PreforkStatusCommand}).
 */
final class PreforkSignalCommand {

	private PreforkSignalCommand() {
	}

	/** Whether the command line asks for a signal: only there, never in a configuration file. */
	static boolean isRequested(String[] args) {
		for (String arg : args) {
			if (arg.equals("--prefork.signal") || arg.startsWith("--prefork.signal=")) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Sends the signal of the command {@code prefork.signal} names (one of
	 * {@link ControlCommand#signalledNames()}).
	 * @return the process exit code: 0 sent, 1 no master to send it to, 2 bad usage
	 */
	static int run(Environment environment, PrintStream out, PrintStream err) {
		JvmCommandLine self;
		try {
			self = JvmCommandLine.ofCurrentJvm(dev.prefork.protocol.MasterSecrets.NONE);
		}
		catch (IOException ex) {
			err.println("prefork.signal: cannot read this JVM's command line: " + ex.getMessage());
			return 1;
		}
		return run(environment, self, Path.of("").toAbsolutePath(), out, err);
	}

	/**
	 * {@link #run(Environment, PrintStream, PrintStream)} for the application {@code self}
	 * runs, started in {@code workingDirectory}.
	 */
	static int run(Environment environment, JvmCommandLine self, Path workingDirectory, PrintStream out,
			PrintStream err) {
		String command = environment.getProperty("prefork.signal", "").trim();
		boolean status = command.equals(PreforkStatusCommand.NAME);
		String signal = ControlCommand.ofName(command).flatMap(ControlCommand::signal).orElse(null);
		if (signal == null && !status) {
			err.println("prefork.signal: unknown command '" + command + "'; use one of " + ControlCommand.signalledNames()
					+ ", or " + PreforkStatusCommand.NAME);
			return 2;
		}
		String pidfile = environment.getProperty("prefork.pidfile");
		if (pidfile == null || pidfile.isBlank()) {
			err.println("prefork.signal needs prefork.pidfile: the pidfile of the running master, e.g. "
					+ "--prefork.pidfile=/run/app.pid");
			return 2;
		}
		Path path = Path.of(pidfile).toAbsolutePath();
		Optional<Long> pid;
		try {
			pid = Pidfile.read(path);
		}
		catch (IOException ex) {
			err.println(ex.getMessage());
			return 1;
		}
		if (pid.isEmpty()) {
			err.println("No pidfile at " + path + ": no master is running with this prefork.pidfile");
			return 1;
		}
		if (ProcFs.ownerUid(pid.get()) < 0) {
			err.println("Pidfile " + path + " names pid " + pid.get() + ", which is not a running master: the pidfile is "
					+ "stale; delete it");
			return 1;
		}
		String refused = notMasterOf(self, workingDirectory, path, pid.get());
		if (refused != null) {
			err.println("Not " + (status ? "asking for the status of" : "sending SIG" + signal + " to") + " pid "
					+ pid.get() + " named by pidfile " + path + ": " + refused);
			return 1;
		}
		if (status) {
			if (!(environment instanceof ConfigurableEnvironment configurable)) {
				err.println("prefork.signal=status: cannot read this command's configuration");
				return 1;
			}
			return PreforkStatusCommand.run(configurable, pid.get(), out, err);
		}
		if (Native.posix().kill(pid.get().intValue(), MasterSignals.number(signal)) != 0) {
			err.println("Cannot send SIG" + signal + " to pid " + pid.get() + ": errno " + Native.posix().errno());
			return 1;
		}
		out.println("Sent SIG" + signal + " (" + command + ") to the master, pid " + pid.get());
		return 0;
	}

	/**
	 * Why {@code pid} may not be signalled as the master of the application {@code self}
	 * runs: a pidfile another user could have written (one writable by group or others, a
	 * symbolic link, another user's than the process's, or in a directory others can
	 * write), a process that is a worker or training run, or one that runs another
	 * application. A pid reused after the master exited is caught only by the last two.
	 * @return the reason, or {@code null} if it is this application's master
	 */
	static String notMasterOf(JvmCommandLine self, Path workingDirectory, Path pidfile, long pid) {
		int owner = ProcFs.ownerUid(pid);
		if (owner < 0) {
			return "no process has that pid";
		}
		String untrusted = OwnedFiles.pathProblem(pidfile, owner, false);
		if (untrusted != null) {
			return "the pidfile is not trusted: " + untrusted + " (the master writes it as its own user, uid " + owner
					+ ", mode 600)";
		}
		Map<String, String> environment = ProcFs.environment(pid).orElse(null);
		if (environment == null) {
			return "its environment cannot be read to check it is a prefork master (run this as root or as uid " + owner
					+ ")";
		}
		String role = environment.get(WorkerEnvironment.ROLE);
		if (role != null) {
			return "it is a prefork " + role + " (" + WorkerEnvironment.ROLE + "=" + role + "), not a master";
		}
		List<String> ours = self.application();
		List<String> theirs = new JvmCommandLine("", ProcFs.commandLine(pid)).application();
		if (ours.isEmpty() || !sameApplication(ours, workingDirectory, theirs, ProcFs.workingDirectory(pid))) {
			return "it runs " + (theirs.isEmpty() ? "no Java application" : String.join(" ", theirs))
					+ ", not this application (" + String.join(" ", ours) + ")";
		}
		return null;
	}

	/** The same {@code -jar} file (relative paths taken from each process's directory), module or main class. */
	private static boolean sameApplication(List<String> ours, Path ourDirectory, List<String> theirs,
			Optional<Path> theirDirectory) {
		if (ours.size() != theirs.size() || !ours.get(0).equals(theirs.get(0))) {
			return false;
		}
		if (!ours.get(0).equals("-jar")) {
			return ours.equals(theirs);
		}
		Path theirJar = Path.of(theirs.get(1));
		if (!theirJar.isAbsolute()) {
			if (theirDirectory.isEmpty()) {
				return false;
			}
			theirJar = theirDirectory.get().resolve(theirJar);
		}
		Path ourJar = ourDirectory.resolve(ours.get(1));
		try {
			return ourJar.normalize().equals(theirJar.normalize()) || Files.isSameFile(ourJar, theirJar);
		}
		catch (IOException ex) {
			return false;
		}
	}

}
