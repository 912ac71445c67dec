package dev.prefork.os;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

/**
 * Real {@code posix_spawn}s of {@code sleep}, inspected through {@code /proc}.
 */
class SpawnTests {

	private static final Map<String, String> PATH = Map.of("PATH", "/usr/bin:/bin");

	@Test
	void childGetsOnlyTheDescriptorsItIsGiven() throws Exception {
		// A server socket and a dup without close-on-exec, as the JDK's jar handles are.
		try (ServerSocket unrelated = new ServerSocket(0)) {
			int leaky = Native.posix().dup(1);
			try (Child child = Child.spawn(Map.of())) {
				assertThat(child.descriptors().keySet()).containsExactly(0, 1, 2);
			}
			finally {
				Native.closeQuietly(leaky);
			}
		}
	}

	@Test
	void descriptorsAreMovedToTheirChildNumbers() throws Exception {
		try (ListenSocket socket = ListenSocket.bind(null, 0, 10)) {
			int[] pair = new int[2];
			Native.posix().socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, pair);
			try (Child child = Child.spawn(Map.of(socket.fd(), 0, pair[1], 3))) {
				Map<Integer, String> descriptors = child.descriptors();
				assertThat(descriptors.keySet()).containsExactly(0, 1, 2, 3);
				assertThat(descriptors.get(0)).isEqualTo(target("/proc/self/fd/" + socket.fd()));
				assertThat(descriptors.get(3)).isEqualTo(target("/proc/self/fd/" + pair[1]));
			}
			finally {
				Native.closeQuietly(pair[0]);
				Native.closeQuietly(pair[1]);
			}
		}
	}

	@Test
	void childStartsWithNoBlockedAndNoIgnoredSignals() throws Exception {
		// Ignore SIGHUP in this JVM, as nohup would; the child must not inherit that.
		Native.libc().signal(1, jnr.ffi.Pointer.wrap(Native.runtime(), 1L));
		try (Child child = Child.spawn(Map.of())) {
			assertThat(child.status("SigBlk")).isZero();
			// Standard signals 1..31; glibc reserves 32 and 33 for itself.
			assertThat(child.status("SigIgn") & 0x7fffffffL).isZero();
		}
		finally {
			Native.libc().signal(1, null);
		}
	}

	@Test
	void missingExecutableIsAClearError() {
		assertThatIOException().isThrownBy(() -> Spawn.spawn("/nonexistent/java", List.of("java"), PATH, Map.of()))
			.withMessageContaining("/nonexistent/java")
			.withMessageContaining("No such file or directory");
	}

	private static String target(String link) throws IOException {
		return Files.readSymbolicLink(Path.of(link)).toString();
	}

	/** A spawned {@code sleep}, killed and reaped on close. */
	private record Child(int pid) implements AutoCloseable {

		static Child spawn(Map<Integer, Integer> descriptors) throws Exception {
			Child child = new Child(Spawn.spawn("/bin/sleep", List.of("sleep", "30"), PATH, descriptors));
			// Past exec the dynamic loader may still hold a library open: only a child that
			// sleeps in nanosleep is sleep itself, with exactly the descriptors it was given.
			long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
			while (!child.isSleeping()) {
				assertThat(System.nanoTime()).as("sleep of pid " + child.pid).isLessThan(deadline);
				Thread.onSpinWait();
			}
			return child;
		}

		boolean isSleeping() {
			try {
				return target("/proc/" + this.pid + "/exe").endsWith("/sleep")
						&& Files.readString(Path.of("/proc/" + this.pid + "/wchan")).contains("nanosleep");
			}
			catch (IOException ex) {
				return false;
			}
		}

		Map<Integer, String> descriptors() throws IOException {
			Map<Integer, String> descriptors = new TreeMap<>();
			try (Stream<Path> fds = Files.list(Path.of("/proc/" + this.pid + "/fd"))) {
				for (Path fd : fds.toList()) {
					descriptors.put(Integer.parseInt(fd.getFileName().toString()), Files.readSymbolicLink(fd).toString());
				}
			}
			return descriptors;
		}

		long status(String field) throws IOException {
			return Files.readAllLines(Path.of("/proc/" + this.pid + "/status"))
				.stream()
				.filter((line) -> line.startsWith(field + ":"))
				.map((line) -> Long.parseUnsignedLong(line.substring(field.length() + 1).trim(), 16))
				.findFirst()
				.orElseThrow();
		}

		@Override
		public void close() {
			Native.posix().kill(this.pid, 9);
			Native.posix().waitpid(this.pid, new int[1], 0);
		}

	}

}
