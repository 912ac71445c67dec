package dev.prefork.os;

import java.io.IOException;
import java.nio.file.Path;

import jnr.constants.platform.OpenFlags;
import jnr.posix.FileStat;

/**
 * The rule for files the master acts on (master FIFO, pidfile, touch-reload file, class-data
 * archives, log files): another user must not have planted them or be able to change them.
 * A file passes when it is no symbolic link, is owned by the master's effective user and is
 * not writable by group or others.
 *
 * <p>
 * {@link #pathProblem} adds what sshd's {@code StrictModes} checks: every directory from
 * {@code /} down to the file is owned by root or the master's user and not writable by group
 * or others, since whoever can write a directory on the path can rename an entry and put
 * their own in its place. The one exception is a sticky directory such as {@code /tmp}: there
 * another user cannot rename or remove an entry they do not own, so it is safe above an
 * entry of root or the master's user, and above a missing one only when the master creates
 * it itself and checks the result. A symbolic link on the path is followed after the
 * directory holding it passed, and the directories of its target are checked the same way.
 */
public final class OwnedFiles {

	private static final int GROUP_OR_OTHERS_WRITE = 0022;

	private static final int GROUP_OR_OTHERS_ANY = 0077;

	private static final int STICKY = 01000;

	// From jnr-constants: O_NOFOLLOW is 0400000 on x86 but 0100000 on arm64.
	private static final int O_WRONLY = OpenFlags.O_WRONLY.intValue();

	private static final int O_CREAT = OpenFlags.O_CREAT.intValue();

	private static final int O_APPEND = OpenFlags.O_APPEND.intValue();

	static final int O_NOFOLLOW = OpenFlags.O_NOFOLLOW.intValue();

	/** A FIFO put at a log file's path must not block the master's open. */
	private static final int O_NONBLOCK = OpenFlags.O_NONBLOCK.intValue();

	private static final int ELOOP = 40;

	/** As the kernel's {@code MAXSYMLINKS}. */
	private static final int MAX_LINKS = 40;

	private OwnedFiles() {
	}

	/**
	 * What would let another user change or replace the file or directory at {@code path},
	 * or put one there: its directories, every one of them from {@code /} (see the class
	 * comment), and the entry itself when it exists ({@link #problem(Path)}).
	 * @param path the path
	 * @param masterCreates whether the master creates the entry if it is missing (and checks
	 * it again after creating it): then a missing entry in a sticky shared directory passes
	 * @return the problem, e.g. {@code "/srv/cache is writable by group or others (mode 0777),
	 * so another user can replace /srv/cache/app"}, or {@code null} if the path passes
	 */
	public static String pathProblem(Path path, boolean masterCreates) {
		return pathProblem(path, Native.posix().geteuid(), masterCreates);
	}

	/**
	 * {@link #pathProblem(Path, boolean)} for a file the master and its workers only read
	 * (the application jar): root may own it too, as in an image whose files are root's and
	 * whose processes run as another user.
	 */
	public static String readOnlyPathProblem(Path path) {
		return readOnlyPathProblem(path, Native.posix().geteuid());
	}

	static String readOnlyPathProblem(Path path, int owner) {
		try {
			return new Walk(owner, false, true).entry(path.toAbsolutePath());
		}
		catch (IOException ex) {
			return "cannot be checked: " + ex.getMessage();
		}
	}

	/**
	 * {@link #pathProblem(Path, boolean)} for the files of another user than the master's:
	 * directories owned by root or {@code owner}, the entry by {@code owner}.
	 */
	public static String pathProblem(Path path, int owner, boolean masterCreates) {
		try {
			return new Walk(owner, masterCreates, false).entry(path.toAbsolutePath());
		}
		catch (IOException ex) {
			return "cannot be checked: " + ex.getMessage();
		}
	}

	/**
	 * What would let another user swap the entry at {@code path} after the master created it,
	 * or put one there first: its directories, as {@link #pathProblem(Path, boolean)} with
	 * the master creating it; an entry already there must be the master's user's or root's,
	 * whatever its mode (the master replaces it, such as a stale socket).
	 */
	public static String placeProblem(Path path) {
		try {
			return new Walk(Native.posix().geteuid(), true, true, true).entry(path.toAbsolutePath());
		}
		catch (IOException ex) {
			return "cannot be checked: " + ex.getMessage();
		}
	}

	/**
	 * What is wrong with an existing path, not following a symbolic link.
	 * @param path the path
	 * @return the problem, e.g. {@code "is owned by uid 1001, not by this master's user (uid 0)"},
	 * or {@code null} if the path passes or does not exist
	 */
	public static String problem(Path path) {
		FileStat stat = lstat(path);
		return (stat != null) ? problem(stat) : null;
	}

	/** What is wrong with a file's status, or {@code null}. */
	static String problem(FileStat stat) {
		return problem(stat, Native.posix().geteuid());
	}

	private static String problem(FileStat stat, int user) {
		if (stat.isSymlink()) {
			return "is a symbolic link";
		}
		if (stat.uid() != user) {
			return "is owned by uid " + stat.uid() + ", not by " + ((user == Native.posix().geteuid())
					? "this master's user (uid " + user + ")" : "uid " + user);
		}
		if ((stat.mode() & GROUP_OR_OTHERS_WRITE) != 0) {
			return "is writable by group or others (mode " + mode(stat) + ")";
		}
		return null;
	}

	/**
	 * Opens a file to append to, creating it if it is missing, without following a symbolic
	 * link put in its place ({@code O_NOFOLLOW}), and checks what was opened: a regular file
	 * of the master's user. A log file reopened after logrotate moved it away must not turn
	 * into a write to whatever file another user pointed a link at.
	 * @param path the file
	 * @return the open descriptor, close-on-exec; {@code /proc/self/fd/<fd>} names the file
	 * opened, whatever happens to the path later
	 * @throws IOException if the path is a symbolic link, not a regular file, another user's,
	 * or cannot be opened
	 */
	public static int openToAppend(Path path) throws IOException {
		int fd = Native.posix().open(path.toString(),
				O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | LibC.O_CLOEXEC, 0666);
		if (fd < 0) {
			int errno = Native.errno();
			throw (errno == ELOOP) ? new IOException(path + " is a symbolic link") : Native.error("open " + path, errno);
		}
		FileStat stat = Native.posix().allocateStat();
		String problem;
		if (Native.posix().fstat(fd, stat) != 0) {
			problem = "cannot be checked (fstat failed)";
		}
		else if (!stat.isFile()) {
			problem = "is not a regular file";
		}
		else {
			int user = Native.posix().geteuid();
			problem = (stat.uid() != user)
					? "is owned by uid " + stat.uid() + ", not by this master's user (uid " + user + ")" : null;
		}
		if (problem != null) {
			Native.closeQuietly(fd);
			throw new IOException(path + " " + problem);
		}
		return fd;
	}

	/** Closes a descriptor {@link #openToAppend} returned. */
	public static void close(int fd) {
		Native.closeQuietly(fd);
	}

	/**
	 * What is wrong with a file that holds a secret: the rule of {@link #problem(Path)}, and
	 * no one but its owner may read it either.
	 * @param path the file
	 * @return the problem, or {@code null} if it passes or does not exist
	 */
	public static String secretFileProblem(Path path) {
		FileStat stat = lstat(path);
		if (stat == null) {
			return null;
		}
		String problem = problem(stat);
		if (problem == null && (stat.mode() & GROUP_OR_OTHERS_ANY) != 0) {
			problem = "is readable by group or others (mode " + mode(stat) + "; chmod 600 it)";
		}
		return problem;
	}

	/**
	 * Whether there is an entry at {@code path}, not following a symbolic link ({@code lstat}).
	 * @param path the path
	 * @return {@code true} if {@code lstat} succeeds
	 */
	public static boolean exists(Path path) {
		return lstat(path) != null;
	}

	/** {@code lstat} of a path, or null if it does not exist. */
	static FileStat lstat(Path path) {
		FileStat stat = Native.posix().allocateStat();
		return (Native.posix().lstat(path.toString(), stat) == 0) ? stat : null;
	}

	private static String mode(FileStat stat) {
		return String.format("%04o", stat.mode() & 07777);
	}

	/** One walk down a path, from {@code /}. */
	private static final class Walk {

		private final int owner;

		private final boolean masterCreates;

		/** Whether the last entry may be root's as well as the owner's. */
		private final boolean rootMayOwn;

		/** Whether the last entry is replaced: only its owner counts, not its mode. */
		private final boolean entryReplaced;

		private int links;

		Walk(int owner, boolean masterCreates, boolean rootMayOwn) {
			this(owner, masterCreates, rootMayOwn, false);
		}

		Walk(int owner, boolean masterCreates, boolean rootMayOwn, boolean entryReplaced) {
			this.owner = owner;
			this.masterCreates = masterCreates;
			this.rootMayOwn = rootMayOwn;
			this.entryReplaced = entryReplaced;
		}

		/** Checks the directories of an absolute path, then its last entry by the file rule. */
		String entry(Path absolute) throws IOException {
			return walk(absolute, true);
		}

		/**
		 * Walks the names of {@code absolute} as the kernel resolves them: {@code ..} goes
		 * to the parent of the real directory reached so far, a symbolic link is replaced
		 * by its real target (whose own directories are walked first).
		 * @param last whether the last name is the file the caller acts on (the file rule)
		 * or one more directory on a longer path (root or the owner, not writable by others)
		 */
		private String walk(Path absolute, boolean last) throws IOException {
			Path current = absolute.getRoot();
			FileStat currentStat = stat(current);
			String problem = directoryProblem(current, currentStat);
			if (problem != null) {
				return problem;
			}
			int count = absolute.getNameCount();
			for (int i = 0; i < count; i++) {
				String name = absolute.getName(i).toString();
				boolean isLast = (i == count - 1);
				if (name.equals(".")) {
					continue;
				}
				if (name.equals("..")) {
					current = (current.getParent() != null) ? current.getParent() : current;
					currentStat = stat(current);
					continue;
				}
				Path next = current.resolve(name);
				FileStat nextStat = lstat(next);
				if (isShared(currentStat)) {
					if ((currentStat.mode() & STICKY) == 0) {
						return current + " is writable by group or others (mode " + mode(currentStat)
								+ "), so another user can replace " + next;
					}
					if (nextStat == null && !(isLast && last && this.masterCreates)) {
						return next + " does not exist, and another user can create it in " + current + " (mode "
								+ mode(currentStat) + ")";
					}
					if (nextStat != null && !(isLast && last) && nextStat.uid() != 0 && nextStat.uid() != this.owner) {
						return next + " is owned by uid " + nextStat.uid() + " in the shared directory " + current
								+ " (mode " + mode(currentStat) + ")";
					}
				}
				if (nextStat == null) {
					// Nobody but root and the owner can create what is missing here.
					return null;
				}
				if (isLast && last && this.entryReplaced) {
					boolean ours = nextStat.uid() == this.owner || (this.rootMayOwn && nextStat.uid() == 0);
					return ours ? null : next + " is owned by uid " + nextStat.uid() + ", not by this master's user (uid "
							+ this.owner + ")";
				}
				if (isLast && last) {
					int entryOwner = (this.rootMayOwn && nextStat.uid() == 0) ? 0 : this.owner;
					String entryProblem = OwnedFiles.problem(nextStat, entryOwner);
					return (entryProblem != null) ? next + " " + entryProblem : null;
				}
				if (nextStat.isSymlink()) {
					if (++this.links > MAX_LINKS) {
						return next + ": too many symbolic links";
					}
					Path real = next.toRealPath();
					problem = walk(real, false);
					if (problem != null) {
						return problem;
					}
					current = real;
					currentStat = stat(real);
					continue;
				}
				problem = directoryProblem(next, nextStat);
				if (problem != null) {
					return problem;
				}
				current = next;
				currentStat = nextStat;
			}
			return null;
		}

		/** A directory on the path: owned by root or the owner (its mode is checked with its entry). */
		private String directoryProblem(Path directory, FileStat stat) {
			if (!stat.isDirectory()) {
				return directory + " is not a directory";
			}
			if (stat.uid() != 0 && stat.uid() != this.owner) {
				return directory + " is owned by uid " + stat.uid() + ", not by root or uid " + this.owner
						+ ", so that user can replace what it holds";
			}
			return null;
		}

		private static boolean isShared(FileStat stat) {
			return (stat.mode() & GROUP_OR_OTHERS_WRITE) != 0;
		}

		private static FileStat stat(Path path) throws IOException {
			FileStat stat = Native.posix().allocateStat();
			if (Native.posix().stat(path.toString(), stat) != 0) {
				throw new IOException(path + " cannot be read");
			}
			return stat;
		}

	}

}
