package dev.prefork.os;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

import dev.prefork.protocol.ChannelProtocol;

import jnr.posix.POSIX;

/**
 * The master's ends of one worker's channel: it reads the worker's lines from one pipe and
 * writes its own to the other. The reading thread closes the read end at end of file; the
 * write end is closed once the worker is reaped. Both closes happen under the same lock as
 * writes, so a descriptor number is never reused under a writer.
 */
final class MasterChannel {

	/** The largest Prometheus text a worker may send in one frame. */
	static final int MAX_FRAME_BYTES = 64 * 1024 * 1024;

	/** The longest line a worker may send. */
	static final int MAX_LINE_BYTES = 64 * 1024;

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
	 * end. Blocks the calling thread. An {@code ANSWER} line is followed by as many bytes as it
	 * says: those go to {@code frames} with the line. A worker is the user's code, so nothing
	 * it sends is believed: a frame header without a length from 0 to {@link #MAX_FRAME_BYTES},
	 * or a line longer than {@link #MAX_LINE_BYTES}, breaks the channel: reading stops and
	 * {@code broken} hears why.
	 * @param lines receives each plain line
	 * @param frames receives each {@code ANSWER} line with its payload
	 * @param broken receives why the channel cannot be read any more
	 */
	void read(Consumer<String> lines, BiConsumer<String, byte[]> frames, Consumer<String> broken) {
		POSIX posix = Native.posix();
		byte[] buffer = new byte[64 * 1024];
		ByteArrayOutputStream line = new ByteArrayOutputStream();
		String frameHeader = null;
		byte[] frame = null;
		int filled = 0;
		try {
			while (true) {
				int read = (int) posix.read(this.readFd, buffer, buffer.length);
				if (read < 0 && posix.errno() == LibC.EINTR) {
					continue;
				}
				if (read <= 0) {
					return;
				}
				int at = 0;
				while (at < read) {
					if (frame != null) {
						int taken = Math.min(read - at, frame.length - filled);
						System.arraycopy(buffer, at, frame, filled, taken);
						filled += taken;
						at += taken;
						if (filled == frame.length) {
							frames.accept(frameHeader, frame);
							frame = null;
						}
						continue;
					}
					int newline = indexOf(buffer, (byte) '\n', at, read);
					int end = (newline >= 0) ? newline : read;
					if (line.size() + (end - at) > MAX_LINE_BYTES) {
						broken.accept("a line longer than " + MAX_LINE_BYTES + " bytes");
						return;
					}
					line.write(buffer, at, end - at);
					if (newline < 0) {
						break;
					}
					at = newline + 1;
					String text = line.toString(StandardCharsets.UTF_8);
					line.reset();
					if (text.startsWith(ChannelProtocol.ANSWER + " ")) {
						int length = frameLength(text);
						if (length < 0) {
							broken.accept("an ANSWER frame whose length is not 0 to " + MAX_FRAME_BYTES + " bytes: "
									+ ChannelProtocol.printable(text));
							return;
						}
						frameHeader = text;
						frame = new byte[length];
						filled = 0;
						if (length == 0) {
							frames.accept(frameHeader, frame);
							frame = null;
						}
					}
					else {
						lines.accept(text);
					}
				}
			}
		}
		finally {
			Native.closeQuietly(this.readFd);
		}
	}

	/** The length at the end of {@code ANSWER <id> <length>}, or -1 if it is none or out of bounds. */
	static int frameLength(String header) {
		try {
			long length = Long.parseLong(header.substring(header.lastIndexOf(' ') + 1));
			return (length >= 0 && length <= MAX_FRAME_BYTES) ? (int) length : -1;
		}
		catch (NumberFormatException ex) {
			return -1;
		}
	}

	private static int indexOf(byte[] bytes, byte value, int from, int to) {
		for (int i = from; i < to; i++) {
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
