package dev.prefork.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

import jnr.posix.POSIX;

/**
 * The master's ends of one worker's channel: it reads the worker's lines from one pipe and
 * writes its own to the other. The reading thread closes the read end at end of file; the
 * write end is closed once the worker is reaped. Both closes happen under the same lock as
 * writes, so a descriptor number is never reused under a writer.
 */
final class MasterChannel {

	private final int readFd;

	private final int writeFd;

	private boolean writeClosed;

	MasterChannel(int readFd, int writeFd) {
		this.readFd = readFd;
		this.writeFd = writeFd;
	}

	/**
	 * Writes one line to the worker.
	 * @param line the line, without its newline
	 * @throws IOException if the worker is gone
	 */
	synchronized void send(String line) throws IOException {
		if (this.writeClosed) {
			throw new IOException("channel closed");
		}
		byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
		int offset = 0;
		while (offset < bytes.length) {
			byte[] rest = (offset == 0) ? bytes : Arrays.copyOfRange(bytes, offset, bytes.length);
			long written = Native.posix().write(this.writeFd, rest, rest.length);
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
	 * Reads the worker's lines until end of file (the worker exited), then closes the read
	 * end. Blocks the calling thread.
	 * @param lines receives each line
	 */
	void readLines(Consumer<String> lines) {
		POSIX posix = Native.posix();
		byte[] buffer = new byte[4096];
		StringBuilder pending = new StringBuilder();
		try {
			while (true) {
				long read = posix.read(this.readFd, buffer, buffer.length);
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
			Native.closeQuietly(this.readFd);
		}
	}

	/** Closes the write end; the worker has been reaped. */
	synchronized void closeWriter() {
		if (!this.writeClosed) {
			this.writeClosed = true;
			Native.closeQuietly(this.writeFd);
		}
	}

}
