package dev.prefork.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The memory cgroup the master runs in (a container's limit, systemd's {@code MemoryMax=}),
 * v2 or v1: its limit, and the kernel's count of the processes its OOM killer ended there.
 * Workers inherit the master's cgroup, so they share that limit.
 *
 * <p>
 * The limit is the smallest on the way up to the hierarchy's root, since a parent's limit
 * bounds its children; the OOM count is the one of the cgroup that holds that limit (v2's
 * {@code memory.events} counts its descendants too).
 */
public final class MemoryCgroup {

	/** v1 reports "no limit" as a huge number rounded to the page size. */
	private static final long UNLIMITED = 1L << 62;

	private final Path mountPoint;

	private final Path directory;

	private final boolean v2;

	private MemoryCgroup(Path mountPoint, Path directory, boolean v2) {
		this.mountPoint = mountPoint;
		this.directory = directory;
		this.v2 = v2;
	}

	/** The current process's memory cgroup, if the memory controller is mounted. */
	public static Optional<MemoryCgroup> ofCurrentProcess() {
		try {
			return of(Files.readAllLines(Path.of("/proc/self/cgroup")), Files.readAllLines(Path.of("/proc/self/mountinfo")));
		}
		catch (IOException ex) {
			return Optional.empty();
		}
	}

	/**
	 * Finds the memory cgroup from {@code /proc/self/cgroup} and {@code /proc/self/mountinfo}:
	 * the v1 memory controller where it is mounted (also on hybrid systems), else v2.
	 */
	static Optional<MemoryCgroup> of(List<String> cgroups, List<String> mounts) {
		for (boolean v2 : new boolean[] { false, true }) {
			String path = cgroupPath(cgroups, v2);
			String[] mount = (path != null) ? mount(mounts, v2) : null;
			if (mount != null) {
				String root = mount[0];
				String relative = (!root.equals("/") && path.startsWith(root)) ? path.substring(root.length()) : path;
				Path mountPoint = Path.of(mount[1]);
				Path directory = Path.of(mount[1] + relative).normalize();
				// In a cgroup namespace (a container) the process's own cgroup is the mount's root.
				return Optional.of(new MemoryCgroup(mountPoint, Files.isDirectory(directory) ? directory : mountPoint, v2));
			}
		}
		return Optional.empty();
	}

	private static String cgroupPath(List<String> cgroups, boolean v2) {
		for (String line : cgroups) {
			String[] fields = line.split(":", 3);
			if (fields.length == 3 && (v2 ? fields[0].equals("0") && fields[1].isEmpty()
					: List.of(fields[1].split(",")).contains("memory"))) {
				return fields[2];
			}
		}
		return null;
	}

	/** The root within the hierarchy and the mount point of the memory hierarchy, or null. */
	private static String[] mount(List<String> mounts, boolean v2) {
		for (String line : mounts) {
			int separator = line.indexOf(" - ");
			if (separator < 0) {
				continue;
			}
			String[] before = line.substring(0, separator).split(" ");
			String[] after = line.substring(separator + 3).split(" ");
			boolean matches = v2 ? after[0].equals("cgroup2")
					: after[0].equals("cgroup") && after.length > 2 && List.of(after[2].split(",")).contains("memory");
			if (matches && before.length > 4) {
				return new String[] { before[3], before[4] };
			}
		}
		return null;
	}

	/** The cgroup's directory. */
	public Path directory() {
		return this.directory;
	}

	/** The smallest memory limit on the way up, in bytes, or -1 if there is none. */
	public long limitBytes() {
		Path limited = limitedDirectory();
		return (limited != null) ? limitOf(limited) : -1;
	}

	/** Where the limit comes from, e.g. {@code cgroup /sys/fs/cgroup/app memory.max}. */
	public String describeLimit() {
		Path limited = limitedDirectory();
		return "cgroup " + ((limited != null) ? limited : this.directory) + " "
				+ (this.v2 ? "memory.max" : "memory.limit_in_bytes");
	}

	/**
	 * The number of processes the kernel's OOM killer ended in the cgroup that holds the
	 * limit (or in this one, without a limit).
	 * @return the count, or -1 if it cannot be read
	 */
	public long oomKills() {
		Path limited = limitedDirectory();
		Path counted = (limited != null) ? limited : this.directory;
		return readField(counted.resolve(this.v2 ? "memory.events" : "memory.oom_control"), "oom_kill");
	}

	private Path limitedDirectory() {
		Path smallest = null;
		long limit = Long.MAX_VALUE;
		for (Path at = this.directory; at != null && at.startsWith(this.mountPoint); at = at.getParent()) {
			long here = limitOf(at);
			if (here > 0 && here < limit) {
				limit = here;
				smallest = at;
			}
		}
		return smallest;
	}

	private long limitOf(Path directory) {
		try {
			String value = Files.readString(directory.resolve(this.v2 ? "memory.max" : "memory.limit_in_bytes")).trim();
			if (value.equals("max")) {
				return -1;
			}
			long bytes = Long.parseLong(value);
			return (bytes >= UNLIMITED) ? -1 : bytes;
		}
		catch (IOException | NumberFormatException ex) {
			return -1;
		}
	}

	/** The number after {@code name} in a "name value" file such as memory.events or /proc/vmstat, or -1. */
	static long readField(Path file, String name) {
		try {
			for (String line : Files.readAllLines(file)) {
				String[] fields = line.trim().split("\\s+");
				if (fields.length == 2 && fields[0].equals(name)) {
					return Long.parseLong(fields[1]);
				}
			}
		}
		catch (IOException | NumberFormatException ex) {
			// unknown
		}
		return -1;
	}

	/** The machine's count of OOM kills ({@code /proc/vmstat}), -1 if unknown: where no memory cgroup is mounted. */
	public static long machineOomKills() {
		return readField(Path.of("/proc/vmstat"), "oom_kill");
	}

}
