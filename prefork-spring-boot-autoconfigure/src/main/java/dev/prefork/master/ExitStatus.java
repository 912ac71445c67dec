package dev.prefork.master;

import dev.prefork.protocol.ExitCodes;

/**
 * How a worker process ended, as {@code waitpid} reports it.
 *
 * @param code the exit code, or -1 if the process was killed by a signal
 * @param signal the signal that killed it, or 0
 */
public record ExitStatus(int code, int signal) {

	public static ExitStatus exited(int code) {
		return new ExitStatus(code, 0);
	}

	public static ExitStatus killed(int signal) {
		return new ExitStatus(-1, signal);
	}

	/** Decodes a raw {@code waitpid} status word. */
	public static ExitStatus fromWaitStatus(int status) {
		int signal = status & 0x7f;
		return (signal == 0) ? exited((status >> 8) & 0xff) : killed(signal);
	}

	@Override
	public String toString() {
		if (signal != 0) {
			return "killed by signal " + signal;
		}
		return switch (code) {
			case ExitCodes.BOOT_ERROR -> "exit code 3: the application context failed to start";
			case ExitCodes.APP_LOAD_ERROR -> "exit code 4: the application's classes could not be loaded";
			default -> "exit code " + code;
		};
	}

}
