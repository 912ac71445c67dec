package dev.prefork.os;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.LinkOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A worker JVM's thread dump written to a file, as {@code jstack} takes it: through HotSpot's
 * attach mechanism (a trigger file and SIGQUIT start the JVM's attach listener on a Unix
 * socket, which answers {@code threaddump}), so that ~1,700 lines do not land in the console
 * the master and the other workers share. Needs no {@code jdk.attach} module (a JRE has none)
 * and the same user as the worker.
 */
final class ThreadDump {

	/** How long a JVM may take to open its attach socket after SIGQUIT. */
	private static final long SOCKET_WAIT_MILLIS = 2_000;

	private ThreadDump() {
	}

	/** The dumps kept in the directory: a worker that hangs again and again must not fill {@code /tmp}. */
	static final int KEPT = 20;

	/**
	 * A new file for a dump, in {@code <java.io.tmpdir>/prefork-thread-dumps-<uid>}: a directory
	 * of this user's, mode 700, which another user cannot have made for us.
	 * @throws IOException if the directory is not this user's alone
	 */
	static Path newFile(String label, long pid) throws IOException {
		Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
		Path directory = Path.of(System.getProperty("java.io.tmpdir"), "prefork-thread-dumps-" + uid);
		try {
			Files.createDirectory(directory,
					PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
		}
		catch (FileAlreadyExistsException ex) {
			Object owner = Files.getAttribute(directory, "unix:uid", LinkOption.NOFOLLOW_LINKS);
			int mode = (Integer) Files.getAttribute(directory, "unix:mode", LinkOption.NOFOLLOW_LINKS);
			if (!owner.equals(uid) || !Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS) || (mode & 077) != 0) {
				throw new IOException(directory + " is not a directory of this user's alone");
			}
		}
		removeOld(directory);
		String time = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
		return directory.resolve(label + "-pid" + pid + "-" + time + ".txt");
	}

	private static void removeOld(Path directory) throws IOException {
		try (Stream<Path> files = Files.list(directory)) {
			List<Path> dumps = files.filter((file) -> file.getFileName().toString().endsWith(".txt"))
				.sorted(Comparator.comparing(ThreadDump::modified).reversed())
				.toList();
			for (Path old : dumps.subList(Math.min(dumps.size(), KEPT - 1), dumps.size())) {
				Files.deleteIfExists(old);
			}
		}
	}

	private static FileTime modified(Path file) {
		try {
			return Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS);
		}
		catch (IOException ex) {
			return FileTime.fromMillis(0);
		}
	}

	/**
	 * Writes the dump of the JVM with {@code pid} to {@code file}.
	 * @param sigquit sends SIGQUIT to that JVM (it must not have been reaped)
	 * @throws IOException if the JVM does not answer: the caller falls back to SIGQUIT alone
	 */
	static void write(long pid, Path file, Runnable sigquit) throws IOException, InterruptedException {
		Path socket = socket(pid);
		if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
			// the JVM looks for the trigger in its working directory, then in /tmp
			Path trigger = Path.of("/tmp/.attach_pid" + pid);
			try {
				Files.createFile(trigger);
			}
			catch (FileAlreadyExistsException ex) {
				// another's, which the JVM ignores: SIGQUIT would print the dump to the console
				throw new IOException(trigger + " is in the way", ex);
			}
			try {
				sigquit.run();
				long deadline = System.nanoTime() + SOCKET_WAIT_MILLIS * 1_000_000;
				while (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS) && System.nanoTime() < deadline) {
					Thread.sleep(20);
				}
			}
			finally {
				Files.deleteIfExists(trigger);
			}
			if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
				throw new IOException("it opened no attach socket within " + SOCKET_WAIT_MILLIS + " ms");
			}
		}
		// /tmp is everyone's: talk only to a socket of this user, as the JDK's own attach does
		if (Files.isSymbolicLink(socket) || !Files.getAttribute(socket, "unix:uid", LinkOption.NOFOLLOW_LINKS)
			.equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))) {
			throw new IOException(socket + " is not this user's socket");
		}
		try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
			// protocol 1: version, command and three arguments, each ended by NUL
			channel.write(ByteBuffer.wrap("1\0threaddump\0\0\0\0".getBytes(StandardCharsets.US_ASCII)));
			InputStream in = Channels.newInputStream(channel);
			String status = statusLine(in);
			if (!status.equals("0")) {
				throw new IOException("its attach listener answered " + status);
			}
			try (OutputStream out = Files.newOutputStream(Files.createFile(file, PosixFilePermissions
				.asFileAttribute(PosixFilePermissions.fromString("rw-------"))), StandardOpenOption.WRITE)) {
				in.transferTo(out);
			}
		}
	}

	/** Removes the attach socket a JVM killed with SIGKILL left behind, once it is reaped. */
	static void removeSocket(long pid) {
		try {
			Files.deleteIfExists(socket(pid));
		}
		catch (IOException ex) {
			// /tmp is not ours to worry about beyond this
		}
	}

	private static Path socket(long pid) {
		return Path.of("/tmp/.java_pid" + pid);
	}

	private static String statusLine(InputStream in) throws IOException {
		StringBuilder line = new StringBuilder();
		for (int c = in.read(); c >= 0 && c != '\n' && line.length() < 64; c = in.read()) {
			line.append((char) c);
		}
		return line.toString().trim();
	}

}
