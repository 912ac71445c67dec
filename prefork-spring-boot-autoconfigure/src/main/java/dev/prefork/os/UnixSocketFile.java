package dev.prefork.os;

import java.io.IOException;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

import dev.prefork.master.ListenAddress;
import jnr.posix.FileStat;
import jnr.posix.Group;
import jnr.posix.POSIX;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The file of a Unix domain socket the master listens on: a stale one from a dead master is
 * replaced, a live one or any other file refuses the bind; the socket gets its mode and
 * group before it listens, so that nobody connects while it has others; and it is removed
 * once nobody listens on it.
 */
final class UnixSocketFile {

	private static final Log logger = LogFactory.getLog(UnixSocketFile.class);

	/** {@code sizeof(struct sockaddr_un)}: the family and 108 bytes of path. */
	static final int SOCKADDR_UN_SIZE = 110;

	/** The longest path the kernel takes, without its terminating NUL. */
	private static final int MAX_PATH_BYTES = 107;

	private final String path;

	private final int mode;

	/** The group the socket is given, or -1 to keep the master's. */
	private final int gid;

	/** The inode of the file this master bound or inherited: another file there is not removed. */
	private long inode = -1;

	/**
	 * Whether the file is removed once nobody listens: one this master bound, or inherited from
	 * an upgrade for the same prefork.unix-socket.path; never one systemd passed.
	 */
	private volatile boolean removable;

	private UnixSocketFile(String path, int mode, int gid) {
		this.path = path;
		this.mode = mode;
		this.gid = gid;
	}

	/**
	 * @param unix the configured socket
	 * @return its file, with an absolute path (workers and a new master may run elsewhere)
	 * @throws IOException if the group is unknown or the path too long
	 */
	static UnixSocketFile of(ListenAddress.UnixSocket unix) throws IOException {
		String path = Path.of(unix.path()).toAbsolutePath().normalize().toString();
		checkLength(path, "prefork.unix-socket.path " + path);
		return new UnixSocketFile(path, unix.mode(), gid(unix.group()));
	}

	/**
	 * The file of a socket inherited (upgrade, systemd): left in place at the end, unless
	 * {@link #removeWhenUnused()} (a probe would connect to systemd's socket and start the service again).
	 */
	static UnixSocketFile inherited(String path) {
		UnixSocketFile file = new UnixSocketFile(path, -1, -1);
		FileStat stat = OwnedFiles.lstat(Path.of(path));
		file.inode = (stat != null && stat.isSocket()) ? stat.ino() : -1;
		return file;
	}

	String path() {
		return this.path;
	}

	/**
	 * Makes sure nothing is in the way: no file, or the socket of a process that no longer
	 * listens (connecting is refused), which the bind replaces.
	 * @throws BindException if a process listens on the path
	 * @throws IOException if it is another kind of file, or in a directory another user can change
	 */
	void checkReplaceable() throws IOException {
		// chmod follows a symbolic link: nobody else may be able to swap the socket for one,
		// nor a stale socket for another file before it is removed.
		String untrusted = OwnedFiles.placeProblem(Path.of(this.path));
		if (untrusted != null) {
			throw new IOException("Refusing prefork.unix-socket.path " + this.path + ": " + untrusted);
		}
		FileStat stat = OwnedFiles.lstat(Path.of(this.path));
		if (stat == null) {
			return;
		}
		if (!stat.isSocket()) {
			throw new IOException(this.path + " exists and is not a socket; prefork never removes it: "
					+ "remove it or choose another prefork.unix-socket.path");
		}
		int errno = connectErrno(this.path);
		switch (probe(errno)) {
			case LISTENING -> throw new BindException("Address already in use: a process listens on unix:" + this.path);
			case STALE -> logger.warn("Replacing unix:" + this.path + ": a socket nobody listens on any more (left by a "
					+ "process that ended without removing it)");
			case GONE -> {
			}
			case UNKNOWN -> throw new IOException("Cannot tell whether a process listens on unix:" + this.path
					+ " (connecting to it failed: " + Native.libc().strerror(errno) + ")");
		}
	}

	/**
	 * Binds {@code fd} at the path (a stale socket there is removed first; see
	 * {@link #checkReplaceable}), sets the mode and group, then listens. Until it listens, connecting is refused: nobody connects while the
	 * socket still has the permissions the umask gave it. (Binding under another name and
	 * renaming would not do: the socket keeps the name it was bound with, which a new master
	 * of an upgrade and the workers read back.)
	 */
	void bind(int fd, int backlog) throws IOException {
		POSIX posix = Native.posix();
		LibC libc = Native.libc();
		FileStat stale = OwnedFiles.lstat(Path.of(this.path));
		if (stale != null && stale.isSocket() && posix.unlink(this.path) != 0) {
			throw Native.error("unlink " + this.path);
		}
		byte[] sockaddr = UnixDatagram.sockaddrUn(this.path);
		if (libc.bind(fd, sockaddr, sockaddr.length) != 0) {
			int errno = Native.errno();
			if (errno == LibC.EADDRINUSE) {
				throw new BindException("Address already in use: unix:" + this.path);
			}
			throw new IOException("bind unix:" + this.path + ": " + libc.strerror(errno));
		}
		try {
			if (posix.chmod(this.path, this.mode) != 0) {
				throw Native.error("chmod " + this.path);
			}
			if (this.gid >= 0 && posix.lchown(this.path, -1, this.gid) != 0) {
				throw Native.error("chown " + this.path + " to group " + this.gid);
			}
			if (libc.listen(fd, backlog) != 0) {
				throw Native.error("listen");
			}
		}
		catch (IOException | RuntimeException ex) {
			posix.unlink(this.path);
			throw ex;
		}
		FileStat stat = OwnedFiles.lstat(Path.of(this.path));
		this.inode = (stat != null) ? stat.ino() : -1;
		this.removable = true;
	}

	/** Removes the inherited file once nobody listens on it, as if this master had bound it. */
	void removeWhenUnused() {
		this.removable = true;
	}

	/**
	 * Removes the file once this master's socket is closed, unless it is another file now or
	 * a process still listens on it: the other master of an upgrade, systemd, a worker that
	 * has not exited yet.
	 */
	void removeIfUnused() {
		if (!this.removable) {
			return;
		}
		FileStat stat = OwnedFiles.lstat(Path.of(this.path));
		if (stat == null || !stat.isSocket() || stat.ino() != this.inode) {
			return;
		}
		Probe probe = probe(connectErrno(this.path));
		if (probe == Probe.STALE) {
			if (Native.posix().unlink(this.path) == 0) {
				logger.info("Removed unix:" + this.path);
			}
		}
		else if (probe == Probe.LISTENING) {
			logger.info("Kept unix:" + this.path + ": another process still listens on it");
		}
	}

	/** What connecting to a socket file shows. */
	private enum Probe {

		/** Accepted, or queued behind a full backlog. */
		LISTENING,

		/** Refused: nobody listens. */
		STALE,

		/** No such file any more. */
		GONE,

		/** Any other failure, such as permission denied: errno says. */
		UNKNOWN

	}

	private static Probe probe(int connectErrno) {
		return switch (connectErrno) {
			case 0, LibC.EAGAIN -> Probe.LISTENING;
			case LibC.ECONNREFUSED -> Probe.STALE;
			case LibC.ENOENT -> Probe.GONE;
			default -> Probe.UNKNOWN;
		};
	}

	/**
	 * Connects to the socket without blocking (a full backlog would block) and closes at once.
	 * @return 0 if it connected, else the error
	 */
	private static int connectErrno(String path) {
		LibC libc = Native.libc();
		int fd = libc.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC | LibC.SOCK_NONBLOCK, 0);
		if (fd < 0) {
			return Native.errno();
		}
		try {
			byte[] sockaddr = UnixDatagram.sockaddrUn(path);
			return (libc.connect(fd, sockaddr, sockaddr.length) == 0) ? 0 : Native.errno();
		}
		finally {
			Native.closeQuietly(fd);
		}
	}

	/** The path in a {@code struct sockaddr_un} from getsockname, or null if it has none (abstract, unnamed). */
	static String path(byte[] sockaddr) {
		if (sockaddr.length <= 2 || sockaddr[2] == 0) {
			return null;
		}
		int end = 2;
		while (end < sockaddr.length && sockaddr[end] != 0) {
			end++;
		}
		return new String(Arrays.copyOfRange(sockaddr, 2, end), StandardCharsets.UTF_8);
	}

	private static void checkLength(String path, String what) throws IOException {
		int bytes = path.getBytes(StandardCharsets.UTF_8).length;
		if (bytes > MAX_PATH_BYTES) {
			throw new IOException(what + " is " + bytes + " bytes long: a Unix socket's path has at most "
					+ MAX_PATH_BYTES);
		}
	}

	private static int gid(String group) throws IOException {
		if (group == null || group.isBlank()) {
			return -1;
		}
		String name = group.trim();
		if (name.chars().allMatch(Character::isDigit)) {
			try {
				return Integer.parseInt(name);
			}
			catch (NumberFormatException ex) {
				throw new IOException("prefork.unix-socket.group=" + group + ": not a group id");
			}
		}
		Group found = Native.posix().getgrnam(name);
		if (found == null) {
			throw new IOException("prefork.unix-socket.group=" + group + ": no such group on this machine");
		}
		return (int) found.getGID();
	}

}
