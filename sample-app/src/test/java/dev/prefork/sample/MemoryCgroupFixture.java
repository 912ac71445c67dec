package dev.prefork.sample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A child memory cgroup (v1) under this JVM's own, with a limit, for running a master as a
 * container would: made as root, removed by {@link #close()} once nothing runs in it.
 */
final class MemoryCgroupFixture implements AutoCloseable {

	private final Path directory;

	private MemoryCgroupFixture(Path directory) {
		this.directory = directory;
	}

	static MemoryCgroupFixture create(long limitBytes) throws IOException {
		Path own = ownMemoryCgroup();
		assumeTrue(own != null && Files.isWritable(own), "needs root and a writable cgroup v1 memory controller");
		Path directory = own.resolve("prefork-it-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
		Files.createDirectory(directory);
		Files.writeString(directory.resolve("memory.limit_in_bytes"), Long.toString(limitBytes));
		Path swap = directory.resolve("memory.memsw.limit_in_bytes");
		if (Files.exists(swap)) {
			Files.writeString(swap, Long.toString(limitBytes));
		}
		return new MemoryCgroupFixture(directory);
	}

	private static Path ownMemoryCgroup() throws IOException {
		for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
			String[] fields = line.split(":", 3);
			if (fields.length == 3 && List.of(fields[1].split(",")).contains("memory")) {
				Path path = Path.of("/sys/fs/cgroup/memory" + fields[2]);
				return Files.isDirectory(path) ? path : null;
			}
		}
		return null;
	}

	/** A command prefix that moves the process into this cgroup before it execs the master. */
	List<String> prefix() {
		return List.of("sh", "-c", "echo $$ > '" + this.directory.resolve("cgroup.procs") + "' && exec \"$@\"", "sh");
	}

	long oomKills() throws IOException {
		for (String line : Files.readAllLines(this.directory.resolve("memory.oom_control"))) {
			if (line.startsWith("oom_kill ")) {
				return Long.parseLong(line.substring(9).trim());
			}
		}
		return -1;
	}

	/** Removes the cgroup once its processes are gone (the master's close() killed them). */
	@Override
	public void close() throws Exception {
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		while (!Files.readString(this.directory.resolve("cgroup.procs")).isBlank() && System.nanoTime() < deadline) {
			Thread.sleep(100);
		}
		Files.delete(this.directory);
	}

}
