package dev.prefork.autoconfigure;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import dev.prefork.master.ControlCommand;
import dev.prefork.os.MasterSignals;
import dev.prefork.os.Native;
import dev.prefork.os.Pidfile;
import dev.prefork.os.ProcFs;

import org.springframework.core.env.Environment;

/**
 * {@code java -jar app.jar --prefork.signal=reload --prefork.pidfile=/run/app.pid}: sends the
 * running master the signal for a command and exits, like {@code uwsgi --reload pidfile}.
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
		String command = environment.getProperty("prefork.signal", "").trim();
		String signal = ControlCommand.ofName(command).flatMap(ControlCommand::signal).orElse(null);
		if (signal == null) {
			err.println("prefork.signal: unknown command '" + command + "'; use one of " + ControlCommand.signalledNames());
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
		if (!isJavaProcess(pid.get())) {
			err.println("Pidfile " + path + " names pid " + pid.get() + ", which is not a running master: the pidfile is "
					+ "stale; delete it");
			return 1;
		}
		if (Native.posix().kill(pid.get().intValue(), MasterSignals.number(signal)) != 0) {
			err.println("Cannot send SIG" + signal + " to pid " + pid.get() + ": errno " + Native.posix().errno());
			return 1;
		}
		out.println("Sent SIG" + signal + " (" + command + ") to the master, pid " + pid.get());
		return 0;
	}

	private static boolean isJavaProcess(long pid) {
		List<String> commandLine = ProcFs.commandLine(pid);
		return !commandLine.isEmpty() && commandLine.get(0).contains("java");
	}

}
