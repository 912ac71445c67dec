package dev.prefork.autoconfigure;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.prefork.os.JvmCommandLine;
import dev.prefork.os.Native;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --prefork.signal} against real processes: it signals only the master of this
 * application, named by a pidfile no other user could have written.
 */
class PreforkSignalCommandTests {

	private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

	@TempDir
	Path temp;

	private final List<Process> started = new ArrayList<>();

	private final ByteArrayOutputStream out = new ByteArrayOutputStream();

	private final ByteArrayOutputStream err = new ByteArrayOutputStream();

	@AfterEach
	void stopStarted() throws InterruptedException {
		for (Process process : this.started) {
			process.destroyForcibly().waitFor();
		}
	}

	@Test
	void aPidfileNamingAnotherJavaProgramSignalsNothing() throws Exception {
		Process other = sleeper(Map.of());
		Path pidfile = pidfile(other.pid());
		// This JVM (the test's) is the application that asks.
		assertThat(PreforkSignalCommand.run(environment("stop", pidfile), print(this.out), print(this.err))).isEqualTo(1);
		assertThat(text(this.err)).startsWith("Not sending SIGTERM to pid " + other.pid() + " named by pidfile " + pidfile
				+ ": it runs " + sleeperSource() + ", not this application (");
		assertThat(other.waitFor(2, TimeUnit.SECONDS)).as("the other program survives").isFalse();
	}

	@Test
	void theMasterOfThisApplicationIsSignalled() throws Exception {
		Process master = sleeper(Map.of());
		Path pidfile = pidfile(master.pid());
		assertThat(PreforkSignalCommand.run(environment("stop", pidfile), sameApplicationAs(master), this.temp,
				print(this.out), print(this.err)))
			.as(text(this.err))
			.isZero();
		assertThat(text(this.out)).isEqualTo("Sent SIGTERM (stop) to the master, pid " + master.pid() + "\n");
		assertThat(master.waitFor(30, TimeUnit.SECONDS)).isTrue();
		assertThat(master.exitValue()).isEqualTo(143);
	}

	@Test
	void aWorkerOfThisApplicationIsNoMaster() throws Exception {
		Process worker = sleeper(Map.of("PREFORK_ROLE", "worker"));
		Path pidfile = pidfile(worker.pid());
		assertThat(PreforkSignalCommand.run(environment("stop", pidfile), sameApplicationAs(worker), this.temp,
				print(this.out), print(this.err)))
			.isEqualTo(1);
		assertThat(text(this.err)).contains(": it is a prefork worker (PREFORK_ROLE=worker), not a master");
		assertThat(worker.isAlive()).isTrue();
	}

	@Test
	void aPidfileAnotherUserCouldHaveWrittenIsNotTrusted() throws Exception {
		Process master = sleeper(Map.of());
		Path pidfile = pidfile(master.pid());
		Native.posix().chmod(pidfile.toString(), 0666);
		assertThat(PreforkSignalCommand.run(environment("stop", pidfile), sameApplicationAs(master), this.temp,
				print(this.out), print(this.err)))
			.isEqualTo(1);
		assertThat(text(this.err)).contains(": the pidfile is not trusted: " + pidfile
				+ " is writable by group or others (mode 0666)");
		Native.posix().chmod(pidfile.toString(), 0600);
		// nobody's file naming root's process
		Native.posix().chown(pidfile.toString(), 65534, -1);
		assertThat(PreforkSignalCommand.run(environment("stop", pidfile), sameApplicationAs(master), this.temp,
				print(this.out), print(this.err)))
			.isEqualTo(1);
		assertThat(text(this.err)).contains(pidfile + " is owned by uid 65534");
		assertThat(master.isAlive()).isTrue();
	}

	/** A Java program that sleeps: a source file run by the java launcher. */
	private Process sleeper(Map<String, String> environment) throws Exception {
		Path source = sleeperSource();
		if (!Files.exists(source)) {
			Files.writeString(source,
					"public class Sleep { public static void main(String[] a) throws Exception { Thread.sleep(600_000); } }");
		}
		ProcessBuilder builder = new ProcessBuilder(JAVA, "-Xshare:auto", "-XX:TieredStopAtLevel=1", source.toString())
			.redirectErrorStream(true)
			.redirectOutput(ProcessBuilder.Redirect.DISCARD);
		builder.environment().remove("PREFORK_ROLE");
		builder.environment().putAll(environment);
		Process process = builder.start();
		this.started.add(process);
		return process;
	}

	private Path sleeperSource() {
		return this.temp.resolve("Sleep.java");
	}

	private JvmCommandLine sameApplicationAs(Process process) {
		return new JvmCommandLine(JAVA, process.info().arguments().map((arguments) -> {
			List<String> argv = new ArrayList<>(List.of(JAVA));
			argv.addAll(List.of(arguments));
			return argv;
		}).orElseThrow());
	}

	private Path pidfile(long pid) throws Exception {
		Path pidfile = this.temp.resolve("master.pid");
		Files.deleteIfExists(pidfile);
		Files.createFile(pidfile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
		return Files.writeString(pidfile, pid + "\n");
	}

	private static MockEnvironment environment(String command, Path pidfile) {
		return new MockEnvironment().withProperty("prefork.signal", command)
			.withProperty("prefork.pidfile", pidfile.toString());
	}

	private static PrintStream print(ByteArrayOutputStream bytes) {
		bytes.reset();
		return new PrintStream(bytes, true, StandardCharsets.UTF_8);
	}

	private static String text(ByteArrayOutputStream bytes) {
		return bytes.toString(StandardCharsets.UTF_8);
	}

}
