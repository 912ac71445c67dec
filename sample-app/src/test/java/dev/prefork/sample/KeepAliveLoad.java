package dev.prefork.sample;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A strict keep-alive HTTP/1.1 load on {@code GET /whoami}, as wrk makes it: a few
 * connections, each sending its next request as soon as the last answer is read, and
 * reconnecting only after an answer that said {@code Connection: close}. A request fails
 * when its answer is not 200, is not HTTP a parser can read, or when the connection breaks
 * before the whole answer came: nothing is retried, so a dropped request counts. A load
 * thread that died or did not end by {@link #close()} is a failure too, so "no failure" always
 * means every connection ran to the end.
 * <p>
 * Once told {@link #serverStopping()}, a connection the server never answered (refused, or
 * closed before its first answer: made after the listening socket closed) is counted as
 * refused, not failed; a request lost on a connection a worker had already served still fails.
 */
final class KeepAliveLoad implements AutoCloseable {

	private final int port;

	private final AtomicBoolean stop = new AtomicBoolean();

	private final AtomicLong answered = new AtomicLong();

	private final AtomicBoolean serverStopping = new AtomicBoolean();

	private final AtomicLong refusedAfterStop = new AtomicLong();

	private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

	private final List<Thread> threads = new ArrayList<>();

	private KeepAliveLoad(int port) {
		this.port = port;
	}

	static KeepAliveLoad start(int port, int connections) {
		KeepAliveLoad load = new KeepAliveLoad(port);
		for (int i = 0; i < connections; i++) {
			Thread thread = new Thread(load::run, "keep-alive-load-" + i);
			thread.setDaemon(true);
			thread.setUncaughtExceptionHandler((dead, ex) -> load.failures.add(dead.getName() + " died: " + ex));
			thread.start();
			load.threads.add(thread);
		}
		return load;
	}

	long answered() {
		return this.answered.get();
	}

	/** From now on the server is stopping: see the class comment. */
	void serverStopping() {
		this.serverStopping.set(true);
	}

	/** Connections refused or closed unanswered since {@link #serverStopping()}. */
	long refusedAfterStop() {
		return this.refusedAfterStop.get();
	}

	List<String> failures() {
		return List.copyOf(this.failures);
	}

	private void run() {
		while (!this.stop.get()) {
			boolean served = false;
			try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), this.port)) {
				socket.setSoTimeout(30_000);
				OutputStream out = socket.getOutputStream();
				InputStream in = new BufferedInputStream(socket.getInputStream());
				boolean open = true;
				while (open && !this.stop.get()) {
					out.write(("GET /whoami HTTP/1.1\r\nHost: localhost:" + this.port + "\r\n\r\n")
						.getBytes(StandardCharsets.US_ASCII));
					out.flush();
					open = readAnswer(in);
					served = true;
				}
			}
			catch (IOException ex) {
				if (this.stop.get()) {
					return;
				}
				if (this.serverStopping.get() && !served) {
					this.refusedAfterStop.incrementAndGet();
					pause(); // no busy loop of refused connections until the load stops
				}
				else {
					this.failures.add(ex.toString());
				}
			}
			catch (RuntimeException ex) {
				// a status line, length or chunk size that is not HTTP: a failed request, never a lost thread
				this.failures.add("malformed answer: " + ex);
			}
		}
	}

	private static void pause() {
		try {
			Thread.sleep(20);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/** Reads one whole answer; false when the server said it closes the connection. */
	private boolean readAnswer(InputStream in) throws IOException {
		String statusLine = line(in);
		int status = Integer.parseInt(statusLine.split(" ")[1]);
		long length = -1;
		boolean chunked = false;
		boolean close = false;
		for (String header = line(in); !header.isEmpty(); header = line(in)) {
			String lower = header.toLowerCase(Locale.ROOT);
			if (lower.startsWith("content-length:")) {
				length = Long.parseLong(lower.substring(15).trim());
			}
			else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
				chunked = true;
			}
			else if (lower.startsWith("connection:") && lower.contains("close")) {
				close = true;
			}
		}
		if (chunked) {
			for (long size = Long.parseLong(line(in).split(";")[0].trim(), 16); size > 0;
					size = Long.parseLong(line(in).split(";")[0].trim(), 16)) {
				skip(in, size);
				line(in);
			}
			line(in);
		}
		else if (length > 0) {
			skip(in, length);
		}
		if (status == 200) {
			this.answered.incrementAndGet();
		}
		else {
			this.failures.add("HTTP " + status);
		}
		return !close;
	}

	private static String line(InputStream in) throws IOException {
		ByteArrayOutputStream line = new ByteArrayOutputStream();
		for (int b = in.read(); b != '\n'; b = in.read()) {
			if (b < 0) {
				throw new EOFException("connection closed in the middle of an answer");
			}
			if (b != '\r') {
				line.write(b);
			}
		}
		return line.toString(StandardCharsets.ISO_8859_1);
	}

	private static void skip(InputStream in, long bytes) throws IOException {
		for (long left = bytes; left > 0;) {
			long skipped = in.skip(left);
			if (skipped <= 0) {
				if (in.read() < 0) {
					throw new EOFException("connection closed in the middle of a body");
				}
				skipped = 1;
			}
			left -= skipped;
		}
	}

	@Override
	public void close() throws InterruptedException {
		this.stop.set(true);
		for (Thread thread : this.threads) {
			thread.join(35_000);
			if (thread.isAlive()) {
				this.failures.add(thread.getName() + " still running 35 s after the load stopped");
			}
		}
	}

}
