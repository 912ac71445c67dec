package dev.prefork.sample;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static dev.prefork.sample.MasterProcess.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Under systemd: sd_notify messages on a real datagram socket, and socket activation with
 * systemd's own systemd-socket-activate.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class SystemdIT {

	@BeforeAll
	static void installTools() throws Exception {
		MasterProcess.installTestTools();
	}


	@TempDir
	Path temp;

	@Test
	void tellsSystemdWhenReadyReloadingAndStopping() throws Exception {
		Path socket = this.temp.resolve("notify.sock");
		Path received = this.temp.resolve("received");
		// A real AF_UNIX datagram socket, as systemd's NOTIFY_SOCKET: one line per message.
		Process listener = new ProcessBuilder("python3", "-c", """
				import socket, sys
				s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
				s.bind(sys.argv[1])
				while True:
				    print(s.recv(4096).decode().replace('\\n', '|'), flush=True)
				""", socket.toString()).redirectErrorStream(true).redirectOutput(received.toFile()).start();
		try {
			await("the notify socket", Duration.ofSeconds(30), () -> Files.exists(socket));
			try (MasterProcess master = MasterProcess.startWithEnvironment(Map.of("NOTIFY_SOCKET", socket.toString()),
					"--prefork.workers=2")) {
				master.awaitReady(2);
				await("READY=1", Duration.ofSeconds(30), () -> lines(received).stream().anyMatch((l) -> l.startsWith("READY=1")));
				master.signal("HUP");
				await("the reload's READY=1", MasterProcess.BOOT, () -> {
					List<String> lines = lines(received);
					int reloading = indexOf(lines, "RELOADING=1");
					return reloading >= 0 && lines.subList(reloading, lines.size()).stream().anyMatch((l) -> l.startsWith("READY=1"));
				});
				master.signal("TERM");
				assertThat(master.awaitExit(Duration.ofSeconds(60))).isZero();
			}
			List<String> lines = lines(received);
			assertThat(lines.get(0)).isEqualTo("STATUS=Starting 2 workers");
			int ready = indexOf(lines, "READY=1");
			assertThat(lines.get(ready)).isEqualTo("READY=1|STATUS=2 workers ready (target 2)");
			int reloading = indexOf(lines, "RELOADING=1");
			assertThat(lines.get(reloading)).matches("RELOADING=1\\|MONOTONIC_USEC=\\d+\\|STATUS=Reloading: starting generation 2");
			int stopping = indexOf(lines, "STOPPING=1");
			assertThat(ready).isLessThan(reloading);
			assertThat(lines.subList(reloading, stopping)).as("ready again after the reload")
				.anyMatch((line) -> line.matches("READY=1\\|STATUS=[23] workers ready \\(target 2\\)"));
			assertThat(lines.get(stopping)).isEqualTo("STOPPING=1|STATUS=Stopping");
		}
		finally {
			listener.destroy();
			listener.waitFor(10, TimeUnit.SECONDS);
		}
	}

	@Test
	void servesTheSocketSystemdPasses() throws Exception {
		int port = MasterProcess.freePort();
		// It binds the port and starts the master with the socket on fd 3 at the first connection.
		try (MasterProcess master = MasterProcess.start(
				List.of("/usr/bin/systemd-socket-activate", "-l", "127.0.0.1:" + port), "--server.port=" + port,
				"--prefork.workers=1", "--prefork.preload=off")) {
			await("systemd-socket-activate listening", Duration.ofSeconds(30), () -> !MasterProcess.isPortFree(port));
			// The connection that starts it waits until a worker is ready: longer than a usual request.
			CompletableFuture<HttpResponse<String>> first = HttpClient.newHttpClient()
				.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/whoami"))
					.timeout(MasterProcess.BOOT)
					.build(), HttpResponse.BodyHandlers.ofString());
			master.awaitReady(1);
			assertThat(first.get(MasterProcess.BOOT.toSeconds(), TimeUnit.SECONDS).statusCode())
				.as("the connection that started it")
				.isEqualTo(200);
			assertThat(master.get("/whoami").status()).isEqualTo(200);
			assertThat(master.output()).contains("Serving the listening socket passed by systemd (127.0.0.1:" + port + " (fd 3))");
			master.signal("TERM");
			assertThat(master.awaitExit(Duration.ofSeconds(60))).isZero();
		}
	}

	private static List<String> lines(Path file) {
		try {
			return Files.readAllLines(file);
		}
		catch (java.io.IOException ex) {
			return List.of();
		}
	}

	private static int indexOf(List<String> lines, String prefix) {
		for (int i = 0; i < lines.size(); i++) {
			if (lines.get(i).startsWith(prefix)) {
				return i;
			}
		}
		return -1;
	}

}
