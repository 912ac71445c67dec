package dev.prefork.os;

import java.io.IOException;

/**
 * Small helpers for raw file descriptors.
 */
final class Descriptors {

	private Descriptors() {
	}

	/**
	 * Makes sure {@code fd} is above {@code floor}, so that {@code dup2} onto a low
	 * descriptor at spawn never targets the descriptor itself (which would keep its
	 * close-on-exec flag). A master started with stdin closed gets its socket as fd 0.
	 * @return a close-on-exec descriptor above {@code floor}; {@code fd} is closed if it was moved
	 */
	static int moveAbove(int fd, int floor) throws IOException {
		if (fd > floor) {
			return fd;
		}
		int moved = Native.libc().fcntl(fd, LibC.F_DUPFD_CLOEXEC, floor + 1);
		if (moved < 0) {
			throw Native.error("fcntl(F_DUPFD_CLOEXEC)");
		}
		Native.closeQuietly(fd);
		return moved;
	}

	static void setCloseOnExec(int fd) throws IOException {
		if (Native.libc().fcntl(fd, LibC.F_SETFD, LibC.FD_CLOEXEC) != 0) {
			throw Native.error("fcntl(F_SETFD)");
		}
	}

	/** A close-on-exec copy of {@code fd} above {@code floor}; {@code fd} stays open. */
	static int duplicateAbove(int fd, int floor) throws IOException {
		int copy = Native.libc().fcntl(fd, LibC.F_DUPFD_CLOEXEC, floor + 1);
		if (copy < 0) {
			throw Native.error("fcntl(F_DUPFD_CLOEXEC)");
		}
		return copy;
	}

}
