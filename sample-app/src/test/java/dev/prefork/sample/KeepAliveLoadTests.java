package dev.prefork.sample;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import static dev.prefork.sample.MasterProcess.await;
import static org.assertj.core.api.Assertions.assertThat;

/** The load client of the zero-downtime tests counts every answer it cannot read as a failure. */
class KeepAliveLoadTests {

	@Test
	void anAnswerThatIsNotHttpIsAFailureAndTheThreadGoesOn() throws Exception {
		assertThat(failuresAgainst("HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n")).isNotEmpty()
			.allMatch((failure) -> failure.startsWith("malformed answer: java.lang.NumberFormatException"));
		assertThat(failuresAgainst("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))
			.isNotEmpty()
			.allMatch((failure) -> failure.startsWith("malformed answer: java.lang.NumberFormatException"));
		assertThat(failuresAgainst("garbage\r\n\r\n")).isNotEmpty()
			.allMatch((failure) -> failure.startsWith("malformed answer: java.lang.ArrayIndexOutOfBoundsException"));
	}

	@Test
	void wellFormedAnswersAreNoFailure() throws Exception {
		assertThat(failuresAgainst("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")).isEmpty();
	}

	@Test
	void onceTheServerStopsAConnectionNeverAnsweredIsRefusedButARequestLostOnAServedOneFails() throws Exception {
		String ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
		try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
			KeepAliveLoad load = loadOn(server, ok, 0);
			load.serverStopping();
			await("3 connections closed unanswered", Duration.ofSeconds(10), () -> load.refusedAfterStop() >= 3);
			load.close();
			assertThat(load.failures()).isEmpty();
		}
		// one answer per connection without "Connection: close": the next request on it is lost
		try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
			KeepAliveLoad load = loadOn(server, ok, 1);
			load.serverStopping();
			await("3 failures", Duration.ofSeconds(10), () -> load.failures().size() >= 3);
			load.close();
			assertThat(load.refusedAfterStop()).isZero();
		}
	}

	/** One load connection against a server that gives every request the same answer, until 3 answers or failures. */
	private static List<String> failuresAgainst(String answer) throws Exception {
		try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
			KeepAliveLoad load = loadOn(server, answer, Integer.MAX_VALUE);
			await("3 answers or failures", Duration.ofSeconds(10),
					() -> load.answered() + load.failures().size() >= 3);
			load.close();
			return load.failures();
		}
	}

	/** One load connection; the server closes each connection after {@code answers} answers. */
	private static KeepAliveLoad loadOn(ServerSocket server, String answer, int answers) {
		Thread serving = new Thread(() -> serve(server, answer, answers));
		serving.setDaemon(true);
		serving.start();
		return KeepAliveLoad.start(server.getLocalPort(), 1);
	}

	private static void serve(ServerSocket server, String answer, int answers) {
		while (!server.isClosed()) {
			try (Socket socket = server.accept()) {
				byte[] bytes = answer.getBytes(StandardCharsets.US_ASCII);
				OutputStream out = socket.getOutputStream();
				InputStream in = socket.getInputStream();
				byte[] buffer = new byte[4096];
				for (int answered = 0; answered < answers && in.read(buffer) > 0; answered++) {
					out.write(bytes);
					out.flush();
				}
			}
			catch (IOException ex) {
				// the server socket closed: the test is over
			}
		}
	}

}
