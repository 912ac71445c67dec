package dev.prefork.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Memory of a process, read from {@code /proc}.
 */
public final class ProcessMemory {

	private ProcessMemory() {
	}

	/**
	 * The resident set size of {@code pid}.
	 * @param pid the process
	 * @return bytes, or {@code null} if the process is gone or {@code /proc} unreadable
	 */
	public static Long residentBytes(long pid) {
		try {
			for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
				if (line.startsWith("VmRSS:")) {
					String kilobytes = line.substring("VmRSS:".length()).trim().split("\\s+")[0];
					return Long.parseLong(kilobytes) * 1024;
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			// gone between the status and now
		}
		return null;
	}

}
