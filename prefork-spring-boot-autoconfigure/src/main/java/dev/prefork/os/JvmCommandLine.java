package dev.prefork.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import dev.prefork.protocol.MasterSecrets;

/**
 * The master's own command line (same java binary, JVM options, jar or class path, main
 * class and arguments): what starts a worker, with {@code prefork.worker.jvm-args} added by
 * {@link #withJvmArgs}, and the new master of an upgrade, as is.
 *
 * @param executable absolute path of the java binary
 * @param argv the arguments, {@code argv[0]} included
 * @param secrets where the master's secrets were given: what workers and training runs do
 * not inherit
 */
public record JvmCommandLine(String executable, List<String> argv, MasterSecrets secrets) {

	/** Launcher options whose value is the next argument. */
	private static final List<String> OPTIONS_WITH_VALUE = List.of("-cp", "-classpath", "--class-path", "-p",
			"--module-path", "--upgrade-module-path", "--add-modules", "--enable-native-access", "-m", "--module");

	/** A command line that names no secret. */
	public JvmCommandLine(String executable, List<String> argv) {
		this(executable, argv, MasterSecrets.NONE);
	}

	/**
	 * The current JVM's command line, read from {@code /proc/self/cmdline} so that nothing
	 * is lost or re-quoted.
	 * @param secrets where the master's secrets were given ({@link MasterSecrets#NONE} for a
	 * command line that is only read)
	 * @return the command line
	 * @throws IOException if the command line cannot be read
	 */
	public static JvmCommandLine ofCurrentJvm(MasterSecrets secrets) throws IOException {
		String cmdline = Files.readString(Path.of("/proc/self/cmdline"), StandardCharsets.UTF_8);
		List<String> argv = Arrays.asList(cmdline.split("\0"));
		String executable = ProcessHandle.current()
			.info()
			.command()
			.orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		return new JvmCommandLine(executable, List.copyOf(argv), secrets);
	}

	/**
	 * This command line without the arguments that set the master's secrets: a worker or a
	 * training run has no use for them, and the whole machine can read a process's command line.
	 * @return the command line for a worker
	 */
	public JvmCommandLine withoutMasterSecrets() {
		return new JvmCommandLine(this.executable, List.copyOf(this.secrets.removeFrom(this.argv)), this.secrets);
	}

	/** Removes the master's secrets from an environment for a worker or training run. */
	public void removeMasterSecrets(Map<String, String> environment) {
		this.secrets.removeFrom(environment);
	}

	/**
	 * The JVM options: the arguments after {@code argv[0]} up to {@code -jar} or the main
	 * class, with the class path and module options' values skipped.
	 * @return the options, in order
	 */
	public List<String> jvmOptions() {
		List<String> options = new ArrayList<>();
		for (int i = 1; i < this.argv.size(); i++) {
			String argument = this.argv.get(i);
			if (argument.equals("-jar") || !argument.startsWith("-")) {
				break;
			}
			if (OPTIONS_WITH_VALUE.contains(argument)) {
				i++;
			}
			else {
				options.add(argument);
			}
		}
		return options;
	}

	/**
	 * What this JVM runs: {@code -jar <jar>} or {@code -m <module>[/<class>]} or the main
	 * class (or source file), as given.
	 * @return e.g. {@code ["-jar", "app.jar"]} or {@code ["com.example.Main"]}; empty if none
	 */
	public List<String> application() {
		for (int i = 1; i < this.argv.size(); i++) {
			String argument = this.argv.get(i);
			if ((argument.equals("-jar") || argument.equals("-m") || argument.equals("--module"))
					&& i + 1 < this.argv.size()) {
				return List.of(argument, this.argv.get(i + 1));
			}
			if (argument.startsWith("--module=")) {
				return List.of("-m", argument.substring("--module=".length()));
			}
			if (!argument.startsWith("-")) {
				return List.of(argument);
			}
			if (OPTIONS_WITH_VALUE.contains(argument)) {
				i++;
			}
		}
		return List.of();
	}

	/**
	 * This command line with JVM options inserted right after {@code argv[0]}.
	 * @param jvmArgs the options
	 * @return the extended command line
	 */
	public JvmCommandLine withJvmArgs(List<String> jvmArgs) {
		List<String> extended = new ArrayList<>(this.argv);
		extended.addAll(1, jvmArgs);
		return new JvmCommandLine(this.executable, List.copyOf(extended), this.secrets);
	}

}
