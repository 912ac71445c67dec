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
 * options, jar or class path, main class and arguments), to which {@link #withJvmArgs}
 * adds {@code prefork.worker.jvm-args}.
 *
 * @param executable absolute path of the java binary
 * @param argv the arguments, {@code argv[0]} included
 */
public record WorkerCommandLine(String executable, List<String> argv) {

	/**
	 * The current JVM's command line, read from {@code /proc/self/cmdline} so that nothing
	 * is lost or re-quoted.
	 * @return the command line
	 * @throws IOException if the command line cannot be read
	 */
	public static WorkerCommandLine ofCurrentJvm() throws IOException {
		String cmdline = Files.readString(Path.of("/proc/self/cmdline"), StandardCharsets.UTF_8);
		List<String> argv = Arrays.asList(cmdline.split("\0"));
		String executable = ProcessHandle.current()
			.info()
			.command()
			.orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		return new WorkerCommandLine(executable, List.copyOf(argv));
	}

	/**
	 * This command line with JVM options inserted right after {@code argv[0]}.
	 * @param jvmArgs the options
	 * @return the extended command line
	 */
	public WorkerCommandLine withJvmArgs(List<String> jvmArgs) {
		List<String> extended = new ArrayList<>(this.argv);
		extended.addAll(1, jvmArgs);
		return new WorkerCommandLine(this.executable, List.copyOf(extended));
	}

}
