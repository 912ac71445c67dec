package dev.prefork.pidfile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

import dev.prefork.os.OwnedFiles;

/**
 * The master's pidfile: written atomically (temporary file, then rename), private to the
 * user, removed at exit if it still names this process.
 */
public final class Pidfile {

	private final Path path;

	private final long pid;

	private Pidfile(Path path, long pid) {
		this.path = path;
		this.pid = pid;
	}

	/**
	 * Writes {@code pid} to {@code path}, refusing if the file names another live process.
	 * @param path the pidfile
	 * @param pid this process's pid
	 * @return the written pidfile
	 * @throws AlreadyRunningException if the pidfile names a live process
	 * @throws UntrustedException if an existing pidfile fails {@link OwnedFiles}' rule
	 * @throws IOException if the file cannot be written
	 */
	public static Pidfile write(Path path, long pid) throws IOException {
		Path absolute = path.toAbsolutePath();
		// A pidfile another user planted or can rewrite would make "kill $(cat pidfile)" kill
		// whatever it names, and a symbolic link would make delete() act elsewhere. Its
		// directories count too: another user who can replace one can replace the pidfile.
		String problem = OwnedFiles.pathProblem(absolute, true);
		if (problem != null) {
			throw new UntrustedException(problem);
		}
		Optional<Long> existing = read(absolute);
		if (existing.isPresent() && existing.get() != pid
				&& ProcessHandle.of(existing.get()).map(ProcessHandle::isAlive).orElse(false)) {
			throw new AlreadyRunningException(absolute, existing.get());
		}
		Path directory = absolute.getParent();
		Files.createDirectories(directory);
		Path temporary = Files.createTempFile(directory, "." + absolute.getFileName() + ".", ".tmp",
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
		try {
			Files.writeString(temporary, pid + "\n", StandardCharsets.US_ASCII);
			try {
				Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
			}
			catch (AtomicMoveNotSupportedException ex) {
				Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
			}
		}
		finally {
			Files.deleteIfExists(temporary);
		}
		return new Pidfile(absolute, pid);
	}

	/**
	 * Reads the pid in a pidfile.
	 * @param path the pidfile
	 * @return the pid, or empty if there is no such file
	 * @throws IOException if the file exists but cannot be read or holds no pid
	 */
	public static Optional<Long> read(Path path) throws IOException {
		try {
			String content = Files.readString(path, StandardCharsets.US_ASCII).trim();
			try {
				return Optional.of(Long.parseLong(content));
			}
			catch (NumberFormatException ex) {
				throw new IOException("Pidfile " + path + " does not hold a pid: '" + content + "'");
			}
		}
		catch (NoSuchFileException ex) {
			return Optional.empty();
		}
	}

	public Path path() {
		return this.path;
	}

	/** Removes the file if it still names this process; another master may have taken it over. */
	public void delete() {
		try {
			if (read(this.path).filter((pid) -> pid == this.pid).isPresent()) {
				Files.deleteIfExists(this.path);
			}
		}
		catch (IOException ex) {
			// Nothing useful to do at exit; the next start overwrites a stale file.
		}
	}

	/** An existing pidfile another user planted or can change. */
	public static final class UntrustedException extends IOException {

		UntrustedException(String message) {
			super(message);
		}

	}

	/** A pidfile names a process that is still running. */
	public static final class AlreadyRunningException extends IOException {

		private final Path path;

		private final long pid;

		AlreadyRunningException(Path path, long pid) {
			super("Pidfile " + path + " names pid " + pid + ", which is still running");
			this.path = path;
			this.pid = pid;
		}

		public Path path() {
			return this.path;
		}

		public long pid() {
			return this.pid;
		}

	}

}
