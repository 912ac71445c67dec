package dev.prefork.os;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.BiConsumer;
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
	 * Reads the worker's messages until end of file (the worker exited), then closes the read
	 * end. Blocks the calling thread. A {@code METRICS} line is followed by as many bytes as it
	 * says: those go to {@code frames} with the line.
	 * @param lines receives each plain line
	 * @param frames receives each {@code METRICS} line with its payload
	 */
	void read(Consumer<String> lines, BiConsumer<String, byte[]> frames) {
		POSIX posix = Native.posix();
		byte[] buffer = new byte[64 * 1024];
		ByteArrayOutputStream pending = new ByteArrayOutputStream();
		String frameHeader = null;
		int frameLength = 0;
		try {
			while (true) {
				long read = posix.read(this.readFd, buffer, buffer.length);
				if (read < 0 && posix.errno() == LibC.EINTR) {
					continue;
				}
				if (read <= 0) {
					return;
				}
				pending.write(buffer, 0, (int) read);
				byte[] bytes = pending.toByteArray();
				int at = 0;
				while (true) {
					if (frameHeader != null) {
						if (bytes.length - at < frameLength) {
							break;
						}
						frames.accept(frameHeader, Arrays.copyOfRange(bytes, at, at + frameLength));
						at += frameLength;
						frameHeader = null;
						continue;
					}
					int newline = indexOf(bytes, (byte) '\n', at);
					if (newline < 0) {
						break;
					}
					String line = new String(bytes, at, newline - at, StandardCharsets.UTF_8);
					at = newline + 1;
					if (line.startsWith(ChannelProtocol.METRICS + " ")) {
						frameHeader = line;
						frameLength = Integer.parseInt(line.substring(line.lastIndexOf(' ') + 1));
					}
					else {
						lines.accept(line);
					}
				}
				pending.reset();
				pending.write(bytes, at, bytes.length - at);
			}
		}
		catch (NumberFormatException ex) {
			// A broken frame: the channel cannot be trusted any more; the worker is treated as gone.
		}
		finally {
			Native.closeQuietly(this.readFd);
		}
	}

	private static int indexOf(byte[] bytes, byte value, int from) {
		for (int i = from; i < bytes.length; i++) {
			if (bytes[i] == value) {
				return i;
			}
		}
		return -1;
	}

	/** Closes the write end; the worker has been reaped. */
	synchronized void closeWriter() {
		if (!this.writeClosed) {
			this.writeClosed = true;
			Native.closeQuietly(this.writeFd);
		}
	}

}
