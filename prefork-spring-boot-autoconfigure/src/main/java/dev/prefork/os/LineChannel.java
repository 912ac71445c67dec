package dev.prefork.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import jnr.posix.POSIX;

/**
 * One end of a master↔worker channel (a {@code socketpair}): text lines both ways.
 * One thread reads until end of file and then owns the close, so the descriptor number
 * can never be reused under a concurrent writer.
 */
public final class LineChannel {

	private final int fd;

	private boolean closed;

	public LineChannel(int fd) {
		this.fd = fd;
	}

	/**
	 * The channel a worker inherited from its master, made close-on-exec so that processes
	 * the application starts cannot keep the master's channel open.
	 * @param fd the inherited descriptor
	 * @return the channel
	 * @throws IOException if {@code fd} is not an open descriptor
	 */
	public static LineChannel inherited(int fd) throws IOException {
		Descriptors.setCloseOnExec(fd);
		return new LineChannel(fd);
	}

	public int fd() {
		return this.fd;
	}

	/**
	 * Writes one line.
	 * @param line the line, without its newline
	 * @throws IOException if the peer is gone
	 */
	public synchronized void send(String line) throws IOException {
		if (this.closed) {
			throw new IOException("channel closed");
		}
		byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
		int offset = 0;
		while (offset < bytes.length) {
			byte[] rest = (offset == 0) ? bytes : java.util.Arrays.copyOfRange(bytes, offset, bytes.length);
			long written = Native.posix().write(this.fd, rest, rest.length);
			if (written < 0) {
				if (Native.posix().errno() == LibC.EINTR) {
					continue;
				}
				throw Native.error("write");
			}
			offset += (int) written;
		}
	}

	/**
	 * Reads lines until end of file, then closes the descriptor. Blocks the calling thread.
	 * @param lines receives each line
	 */
	public void readLines(Consumer<String> lines) {
		POSIX posix = Native.posix();
		byte[] buffer = new byte[4096];
		StringBuilder pending = new StringBuilder();
		try {
			while (true) {
				long read = posix.read(this.fd, buffer, buffer.length);
				if (read < 0 && posix.errno() == LibC.EINTR) {
					continue;
				}
				if (read <= 0) {
					return;
				}
				pending.append(new String(buffer, 0, (int) read, StandardCharsets.UTF_8));
				int newline;
				while ((newline = pending.indexOf("\n")) >= 0) {
					lines.accept(pending.substring(0, newline));
					pending.delete(0, newline + 1);
				}
			}
		}
		finally {
			close();
		}
	}

	/** Wakes up the reader, which then closes the descriptor. */
	public synchronized void shutdown() {
		if (!this.closed) {
			Native.libc().shutdown(this.fd, LibC.SHUT_RDWR);
		}
	}

	private synchronized void close() {
		if (!this.closed) {
			this.closed = true;
			Native.closeQuietly(this.fd);
		}
	}

}
