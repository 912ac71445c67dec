package dev.prefork.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The command line that starts a worker: exactly the master's own (same java binary, JVM
 * options, jar or class path, main class and arguments) plus {@code prefork.worker.jvm-args}.
 *
 * @param executable absolute path of the java binary
 * @param argv the arguments, {@code argv[0]} included
 */
public record WorkerCommandLine(String executable, List<String> argv) {

	/**
	 * The current JVM's command line, read from {@code /proc/self/cmdline} so that nothing
	 * is lost or re-quoted, with {@code extraJvmArgs} inserted after {@code argv[0]}.
	 * @param extraJvmArgs JVM options for workers only
	 * @return the worker command line
	 * @throws IOException if the command line cannot be read
	 */
	public static WorkerCommandLine ofCurrentJvm(List<String> extraJvmArgs) throws IOException {
		String cmdline = Files.readString(Path.of("/proc/self/cmdline"), StandardCharsets.UTF_8);
		List<String> argv = new ArrayList<>(Arrays.asList(cmdline.split("\0")));
		argv.addAll(1, extraJvmArgs);
		String executable = ProcessHandle.current()
			.info()
			.command()
			.orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		return new WorkerCommandLine(executable, List.copyOf(argv));
	}

}
