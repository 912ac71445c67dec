package dev.prefork.worker;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import dev.prefork.protocol.ChannelProtocol;

/**
 * The worker's ends of its channel to the master, opened from Java alone through
 * {@code /proc/self/fd} (the worker never loads native code for it).
 */
final class WorkerChannel {

	private final BufferedReader in;

	private final OutputStream out;

	private WorkerChannel(BufferedReader in, OutputStream out) {
		this.in = in;
		this.out = out;
	}

	/**
	 * Opens the pipes the master passed on fds 3 and 4.
	 * @return the channel
	 * @throws IOException if this process has no such pipes
	 */
	static WorkerChannel open() throws IOException {
		FileInputStream in = new FileInputStream("/proc/self/fd/" + ChannelProtocol.WORKER_READ_FD);
		try {
			FileOutputStream out = new FileOutputStream("/proc/self/fd/" + ChannelProtocol.WORKER_WRITE_FD);
			return new WorkerChannel(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), out);
		}
		catch (IOException ex) {
			in.close();
			throw ex;
		}
	}

	synchronized void send(String line) throws IOException {
		this.out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
		this.out.flush();
	}

	/** Sends a header line followed by a payload of the length the header names. */
	synchronized void sendFrame(String header, byte[] payload) throws IOException {
		this.out.write((header + "\n").getBytes(StandardCharsets.UTF_8));
		this.out.write(payload);
		this.out.flush();
	}

	/** Reads the master's lines until end of file: the master exited, whichever way. */
	void readLines(Consumer<String> lines) {
		try {
			String line;
			while ((line = this.in.readLine()) != null) {
				lines.accept(line);
			}
		}
		catch (IOException ex) {
			// Same as end of file: the master is unreachable.
		}
	}

}
