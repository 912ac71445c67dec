package dev.prefork.os;

import java.io.IOException;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * jnr-posix and the extra libc bindings, loaded once per JVM on first use.
 */
public final class Native {

	private static final POSIX posix = POSIXFactory.getNativePOSIX();

	private static final LibC libc = LibraryLoader.create(LibC.class).load("c");

	private static final Runtime runtime = Runtime.getRuntime(libc);

	private Native() {
	}

	public static POSIX posix() {
		return posix;
	}

	static LibC libc() {
		return libc;
	}

	static Runtime runtime() {
		return runtime;
	}

	static int errno() {
		return jnr.ffi.LastError.getLastError(runtime);
	}

	/** An exception naming the failed call and the error, e.g. {@code bind: Address already in use}. */
	static IOException error(String call) {
		return error(call, errno());
	}

	static IOException error(String call, int errno) {
		return new IOException(call + ": " + libc.strerror(errno) + " (errno " + errno + ")");
	}

	/** Closes a descriptor, ignoring errors: used on paths that already failed. */
	static void closeQuietly(int fd) {
		if (fd >= 0) {
			posix.close(fd);
		}
	}

}
