package dev.prefork.os;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import jnr.posix.FileStat;

/**
 * What the master reads from {@code /proc} about other processes and its socket: a process's
 * CPU time, resident memory and command line, the accept queue of its listening socket.
 */
public final class ProcFs {

	/** Linux reports CPU time in clock ticks of 1/100 s ({@code getconf CLK_TCK}) on every common platform. */
	private static final double TICKS_PER_SECOND = 100;

	private ProcFs() {
	}

	/**
	 * User plus system CPU time of a process.
	 * @return seconds, or {@code NaN} if the process is gone
	 */
	public static double cpuSeconds(long pid) {
		try {
			String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
			// The command name in parentheses may contain spaces: count fields after its end.
			String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
			return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
		}
		catch (IOException | RuntimeException ex) {
			return Double.NaN;
		}
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

	/**
	 * A process's command line, as the kernel keeps it ({@code /proc/<pid>/cmdline}).
	 * @return its arguments, the executable first, or an empty list if the process is gone
	 */
	public static List<String> commandLine(long pid) {
		try {
			String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8);
			return cmdline.isEmpty() ? List.of() : List.of(cmdline.split("\0"));
		}
		catch (IOException | RuntimeException ex) {
			return List.of();
		}
	}

	/**
	 * The user a process runs as: the owner of {@code /proc/<pid>}.
	 * @return the uid, or -1 if the process is gone
	 */
	public static int ownerUid(long pid) {
		FileStat stat = Native.posix().allocateStat();
		return (Native.posix().stat("/proc/" + pid, stat) == 0) ? stat.uid() : -1;
	}

	/**
	 * A process's environment as it was started ({@code /proc/<pid>/environ}), which only
	 * root and the process's own user may read.
	 * @return the variables, or empty if the process is gone or may not be read
	 */
	public static Optional<Map<String, String>> environment(long pid) {
		try {
			String environ = Files.readString(Path.of("/proc", Long.toString(pid), "environ"), StandardCharsets.UTF_8);
			Map<String, String> variables = new LinkedHashMap<>();
			for (String entry : environ.split("\0")) {
				int equals = entry.indexOf('=');
				if (equals > 0) {
					variables.putIfAbsent(entry.substring(0, equals), entry.substring(equals + 1));
				}
			}
			return Optional.of(variables);
		}
		catch (IOException | RuntimeException ex) {
			return Optional.empty();
		}
	}

	/**
	 * A process's working directory ({@code /proc/<pid>/cwd}), which only root and the
	 * process's own user may read.
	 * @return the directory, or empty if the process is gone or may not be read
	 */
	public static Optional<Path> workingDirectory(long pid) {
		try {
			return Optional.of(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd")));
		}
		catch (IOException | RuntimeException ex) {
			return Optional.empty();
		}
	}

	/** This machine's host name, as {@code uname -n} gives it, or {@code null}. */
	public static String hostname() {
		try {
			String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
			return name.isEmpty() ? null : name;
		}
		catch (IOException ex) {
			return null;
		}
	}

	/** The kernel's cap on a listening socket's backlog ({@code net.core.somaxconn}), or -1 if unknown. */
	public static long somaxconn() {
		try {
			return Long.parseLong(Files.readString(Path.of("/proc/sys/net/core/somaxconn")).trim());
		}
		catch (IOException | NumberFormatException ex) {
			return -1;
		}
	}

	/**
	 * The accept queue of a listening socket of this process: connections waiting to be
	 * accepted, from {@code /proc/net/tcp} and {@code tcp6} (whose rx_queue of a listening
	 * socket is its accept queue).
	 * @param fd the socket's descriptor
	 * @return {@code [length]}, or {@code null} if it cannot be read
	 */
	public static long[] acceptQueue(int fd) {
		try {
			String link = Files.readSymbolicLink(Path.of("/proc/self/fd", Integer.toString(fd))).toString();
			if (!link.startsWith("socket:[")) {
				return null;
			}
			String inode = link.substring("socket:[".length(), link.length() - 1);
			for (String table : new String[] { "/proc/net/tcp6", "/proc/net/tcp" }) {
				Path path = Path.of(table);
				if (!Files.isReadable(path)) {
					continue;
				}
				for (String line : Files.readAllLines(path)) {
					String[] fields = line.trim().split("\\s+");
					// sl local rem st tx_queue:rx_queue tr:when retrnsmt uid timeout inode
					if (fields.length > 9 && fields[9].equals(inode) && fields[3].equals("0A")) {
						String[] queues = fields[4].split(":");
						return new long[] { Long.parseLong(queues[1], 16) };
					}
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			// not Linux, or gone
		}
		return null;
	}

	/**
	 * Whether process {@code pid} itself serves {@code address}:{@code port}: it holds a TCP
	 * socket listening there (on that address or every address), found among its open
	 * descriptors ({@code /proc/PID/fd}, readable by its own user and root) and the listening
	 * sockets of {@code /proc/net/tcp} and {@code tcp6}, and none of its children holds that
	 * socket too (as workers hold the one they serve for the master).
	 * @return {@code false} also when it cannot be told (another user's process)
	 */
	public static boolean servesOn(long pid, InetAddress address, int port) {
		try {
			Set<String> listening = new HashSet<>();
			for (String table : new String[] { "/proc/net/tcp6", "/proc/net/tcp" }) {
				Path path = Path.of(table);
				if (Files.isReadable(path)) {
					for (String line : Files.readAllLines(path)) {
						String[] fields = line.trim().split("\\s+");
						// sl local_address rem_address st ... inode; the address in hex, 32-bit words in host order
						if (fields.length > 9 && fields[3].equals("0A") && fields[1].indexOf(':') > 0) {
							String[] local = fields[1].split(":");
							InetAddress bound = procNetAddress(local[0]);
							if (Integer.parseInt(local[1], 16) == port
									&& (bound.isAnyLocalAddress() || bound.equals(address))) {
								listening.add("socket:[" + fields[9] + "]");
							}
						}
					}
				}
			}
			Set<String> held = socketsOf(pid);
			held.retainAll(listening);
			if (held.isEmpty()) {
				return false;
			}
			for (long child : childrenOf(pid)) {
				if (socketsOf(child).stream().anyMatch(held::contains)) {
					return false;
				}
			}
			return true;
		}
		catch (IOException | RuntimeException ex) {
			return false;
		}
	}

	/** An address of {@code /proc/net/tcp} or {@code tcp6}: 4 or 16 bytes, each 32-bit word little-endian. */
	static InetAddress procNetAddress(String hex) throws IOException {
		byte[] bytes = new byte[hex.length() / 2];
		for (int word = 0; word < bytes.length; word += 4) {
			for (int i = 0; i < 4; i++) {
				bytes[word + i] = (byte) Integer.parseInt(hex.substring((word + 3 - i) * 2, (word + 3 - i) * 2 + 2), 16);
			}
		}
		// an IPv4-mapped IPv6 address comes back as the IPv4 address
		return InetAddress.getByAddress(bytes);
	}

	private static Set<String> socketsOf(long pid) throws IOException {
		Set<String> sockets = new HashSet<>();
		try (Stream<Path> descriptors = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
			descriptors.forEach((fd) -> {
				try {
					sockets.add(Files.readSymbolicLink(fd).toString());
				}
				catch (IOException ex) {
					// closed meanwhile
				}
			});
		}
		return sockets;
	}

	private static List<Long> childrenOf(long pid) {
		return ProcessHandle.of(pid).map((process) -> process.children().map(ProcessHandle::pid).toList()).orElse(List.of());
	}

	/**
	 * Connections the kernel dropped because an accept queue was full
	 * ({@code TcpExt: ListenOverflows} in {@code /proc/net/netstat}). The count is for every
	 * listening socket of the network namespace: in a container or a pod, the application's.
	 * @return the count since boot, or {@code NaN} if it cannot be read
	 */
	public static double listenOverflows() {
		try {
			String[] lines = Files.readString(Path.of("/proc/net/netstat")).split("\n");
			for (int i = 0; i + 1 < lines.length; i++) {
				if (lines[i].startsWith("TcpExt:") && lines[i + 1].startsWith("TcpExt:")) {
					String[] names = lines[i].trim().split("\\s+");
					String[] values = lines[i + 1].trim().split("\\s+");
					for (int field = 1; field < names.length && field < values.length; field++) {
						if (names[field].equals("ListenOverflows")) {
							return Double.parseDouble(values[field]);
						}
					}
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			// not Linux, or /proc not mounted
		}
		return Double.NaN;
	}

}
