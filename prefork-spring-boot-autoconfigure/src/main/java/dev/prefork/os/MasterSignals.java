package dev.prefork.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Installs the master's signal handlers. A handler only hands the signal's name to a
 * consumer, which enqueues a command.
 *
 * <p>
 * The JVM silently refuses to handle HUP, INT and TERM if they were ignored when it started
 * ({@code nohup}, a shell's background job): such a signal is reset to its default first.
 */
public final class MasterSignals {

	private static final Log logger = LogFactory.getLog(MasterSignals.class);

	private MasterSignals() {
	}

	/**
	 * Installs handlers.
	 * @param names signal names without {@code SIG}, e.g. {@code TERM}
	 * @param handler receives the name of each signal that arrives
	 * @return the names that could not be installed
	 */
	public static List<String> install(List<String> names, Consumer<String> handler) {
		long ignored = ignoredSignals();
		List<String> failed = new ArrayList<>();
		for (String name : names) {
			try {
				sun.misc.Signal signal = new sun.misc.Signal(name);
				if ((ignored & (1L << (signal.getNumber() - 1))) != 0) {
					logger.warn("SIG" + name + " was ignored when the master started (nohup?); resetting it");
					Native.libc().signal(signal.getNumber(), null);
				}
				sun.misc.Signal.handle(signal, (received) -> handler.accept(received.getName()));
			}
			catch (IllegalArgumentException | UnsatisfiedLinkError ex) {
				failed.add(name);
			}
		}
		return failed;
	}

	/** The number of a signal on this platform, by its name without {@code SIG}, e.g. {@code HUP}. */
	public static int number(String name) {
		return new sun.misc.Signal(name).getNumber();
	}

	/** Whether the master's stdin is a terminal, where resizing the window sends SIGWINCH. */
	public static boolean stdinIsTerminal() {
		return Native.libc().isatty(0) == 1;
	}

	/** The ignored-signal mask of this process: bit n-1 set means signal n is ignored. */
	private static long ignoredSignals() {
		try {
			for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
				if (line.startsWith("SigIgn:")) {
					return Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
				}
			}
		}
		catch (IOException | NumberFormatException ex) {
			logger.debug("Cannot read /proc/self/status: " + ex.getMessage());
		}
		return 0;
	}

}
