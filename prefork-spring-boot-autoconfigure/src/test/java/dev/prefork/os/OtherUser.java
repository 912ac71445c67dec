package dev.prefork.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real second user for tests of files another user controls: made with {@code useradd}
 * (so the tests need root, as in CI), removed by {@link #close()}.
 */
public final class OtherUser implements AutoCloseable {

	private final String name;

	private final int uid;

	private OtherUser(String name, int uid) {
		this.name = name;
		this.uid = uid;
	}

	public static OtherUser create() throws Exception {
		assumeTrue(Native.posix().geteuid() == 0, "making a second user needs root");
		String name = "prefork-t" + ProcessHandle.current().pid();
		run(List.of("userdel", name), true);
		run(List.of("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name), false);
		return new OtherUser(name, Integer.parseInt(run(List.of("id", "-u", name), false).trim()));
	}

	public int uid() {
		return this.uid;
	}

	public String name() {
		return this.name;
	}

	/** Runs a command as this user and returns its output; it must succeed. */
	public String run(String... command) throws Exception {
		List<String> argv = new ArrayList<>(List.of("runuser", "-u", this.name, "--"));
		argv.addAll(List.of(command));
		return run(argv, false);
	}

	private static String run(List<String> command, boolean mayFail) throws Exception {
		Process process = new ProcessBuilder(command).redirectErrorStream(true)
			.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
			.start();
		if (!process.waitFor(30, TimeUnit.SECONDS)) {
			process.destroyForcibly();
			throw new IOException(command + " took over 30 s");
		}
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		if (!mayFail) {
			assertThat(process.exitValue()).as(command + ": " + output).isZero();
		}
		return output;
	}

	@Override
	public void close() throws Exception {
		run(List.of("userdel", this.name), false);
	}

}
