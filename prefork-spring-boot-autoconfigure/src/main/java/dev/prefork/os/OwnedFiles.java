package dev.prefork.os;

import java.nio.file.Path;

import jnr.posix.FileStat;

/**
 * The rule for files the master acts on (master FIFO, pidfile, touch-reload file, class-data
 * archives): another user must not have planted them or be able to change them. A file
 * passes when it is no symbolic link, is owned by the master's effective user and is not
 * writable by group or others; a directory that holds one must not let others replace it.
 */
public final class OwnedFiles {

	private static final int GROUP_OR_OTHERS_WRITE = 0022;

	private static final int GROUP_OR_OTHERS_ANY = 0077;

	private static final int STICKY = 01000;

	private OwnedFiles() {
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
		if (stat.isSymlink()) {
			return "is a symbolic link";
		}
		int user = Native.posix().geteuid();
		if (stat.uid() != user) {
			return "is owned by uid " + stat.uid() + ", not by this master's user (uid " + user + ")";
		}
		if ((stat.mode() & GROUP_OR_OTHERS_WRITE) != 0) {
			return "is writable by group or others (mode " + mode(stat) + ")";
		}
		return null;
	}

	/**
	 * Whether another user could create or replace an entry in a directory: it is writable
	 * by group or others without the sticky bit ({@code /tmp} has it, so an entry there can
	 * only be replaced by its owner).
	 * @param directory the directory
	 * @return the problem, or {@code null}
	 */
	public static String directoryProblem(Path directory) {
		FileStat stat = Native.posix().allocateStat();
		if (Native.posix().stat(directory.toString(), stat) != 0) {
			return null;
		}
		if ((stat.mode() & GROUP_OR_OTHERS_WRITE) != 0 && (stat.mode() & STICKY) == 0) {
			return "is writable by group or others without the sticky bit (mode " + mode(stat) + ")";
		}
		return null;
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

	/** {@code lstat} of a path, or null if it does not exist. */
	static FileStat lstat(Path path) {
		FileStat stat = Native.posix().allocateStat();
		return (Native.posix().lstat(path.toString(), stat) == 0) ? stat : null;
	}

	private static String mode(FileStat stat) {
		return String.format("%04o", stat.mode() & 07777);
	}

}
