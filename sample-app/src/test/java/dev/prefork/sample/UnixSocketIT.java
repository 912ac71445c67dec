package dev.prefork.sample;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Workers serve a Unix domain socket the master binds ({@code prefork.unix-socket.path}), as
 * gunicorn's {@code bind = "unix:..."}: its mode and group as configured, a stale one
 * replaced, a live one or another file refused, removed at exit, and a HUP under load on it
 * fails no request; on Tomcat and Reactor Netty, Jetty refused.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class UnixSocketIT {

	/** A group every Debian machine has, other than the master's (root). */
	private static final String GROUP = "daemon";

	@TempDir
	Path temp;

	@ParameterizedTest
	@MethodSource("dev.prefork.sample.MasterProcess#matrix")
	void workersServeTheSocketWithItsModeAndGroupAndAReloadUnderLoadFailsNothing(MasterProcess.Stack stack)
			throws Exception {
		Path socket = this.temp.resolve("app.sock");
		staleSocket(socket);
		try (MasterProcess master = MasterProcess.start(stack, "--prefork.workers=2", "--prefork.unix-socket.path=" + socket,
				"--prefork.unix-socket.group=" + GROUP)) {
			JsonNode ready = master.awaitReady(2);
			assertThat(master.output()).contains("Replacing unix:" + socket + ": a socket nobody listens on any more")
				.contains("Listening on unix:" + socket);
			PosixFileAttributes file = Files.readAttributes(socket, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
			assertThat(file.isOther()).as("a socket").isTrue();
			assertThat(PosixFilePermissions.toString(file.permissions())).isEqualTo("rw-rw----");
			assertThat(file.group().getName()).isEqualTo(GROUP);

			MasterProcess.Ran curl = MasterProcess.run(Duration.ofSeconds(30), null, "curl", "-sS", "--max-time", "10",
					"--unix-socket", socket.toString(), "http://localhost/whoami");
			assertThat(curl.code()).as(curl.output()).isZero();
			long served = new MasterProcess.Response(200, curl.output()).json().get("pid").asLong();
			assertThat(MasterProcess.pids(ready)).contains(served);
			assertThat(MasterProcess.isPortFree(master.port())).as("server.port is not served").isTrue();

			AtomicBoolean loading = new AtomicBoolean(true);
			AtomicInteger ok = new AtomicInteger();
			List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
			ExecutorService clients = Executors.newFixedThreadPool(5);
			try {
				List<Future<?>> running = new ArrayList<>();
				for (int i = 0; i < 4; i++) {
					running.add(clients.submit(() -> {
						while (loading.get()) {
							try {
								String status = get(socket, "/whoami");
								if (status.startsWith("HTTP/1.1 200")) {
									ok.incrementAndGet();
								}
								else {
									failures.add(status);
								}
							}
							catch (IOException ex) {
								failures.add(ex.toString());
							}
						}
					}));
				}
				MasterProcess.await("requests served over the socket", Duration.ofSeconds(30), () -> ok.get() >= 20);
				// In flight when its (old) worker stops: a graceful stop lets it finish.
				Future<String> slow = clients.submit(() -> get(socket, "/sleep?ms=15000"));
				MasterProcess.kill("HUP", master.pid());
				master.awaitStatus("the reload to end", (status) -> status.get("generation").asInt() == 2
						&& status.get("lastReload") != null && !status.get("lastReload").isNull());
				master.awaitReady(2);
				int before = ok.get();
				MasterProcess.await("requests served by the new generation", Duration.ofSeconds(30),
						() -> ok.get() >= before + 20);
				loading.set(false);
				for (Future<?> client : running) {
					client.get(30, TimeUnit.SECONDS);
				}
				assertThat(slow.get(60, TimeUnit.SECONDS)).as("a request in flight during the reload").startsWith("HTTP/1.1 200");
			}
			finally {
				loading.set(false);
				clients.shutdownNow();
			}
			assertThat(failures).as("requests that failed during the reload (of " + ok.get() + " served)").isEmpty();
			assertThat(Files.exists(socket, LinkOption.NOFOLLOW_LINKS)).isTrue();
		}
		assertThat(Files.exists(socket, LinkOption.NOFOLLOW_LINKS)).as("removed at exit").isFalse();
	}

	@Test
	void anUpgradeHandsTheSocketOverAndTheLastMasterRemovesIt() throws Exception {
		Path socket = this.temp.resolve("app.sock");
		Path pidfile = this.temp.resolve("master.pid");
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--prefork.unix-socket.path=" + socket,
				"--prefork.pidfile=" + pidfile)) {
			master.awaitReady(1);
			master.signal("USR2");
			long newMaster = MasterProcess.awaitPidfile(this.temp.resolve("master.pid.2"));
			master.adopt(newMaster);
			master.awaitLog("New master (pid " + newMaster + ") is ready");
			master.signal("TERM");
			assertThat(master.awaitExit(Duration.ofSeconds(60))).isZero();
			master.awaitLog("Kept unix:" + socket + ": another process still listens on it");
			String served = get(socket, "/whoami");
			assertThat(served).as("served by the new master's worker").startsWith("HTTP/1.1 200");
			MasterProcess.kill("TERM", newMaster);
			MasterProcess.await("the new master to exit", Duration.ofSeconds(60), () -> !MasterProcess.isRunning(newMaster));
			assertThat(Files.exists(socket, LinkOption.NOFOLLOW_LINKS)).as("removed by the new master at its exit")
				.isFalse();
		}
	}

	@Test
	void aLiveSocketOrAnotherFileAtThePathRefusesTheStartAndStays() throws Exception {
		Path socket = this.temp.resolve("live.sock");
		try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
			live.bind(UnixDomainSocketAddress.of(socket));
			MasterProcess.Exited refused = MasterProcess.runToExit("--prefork.unix-socket.path=" + socket);
			assertThat(refused.code()).isNotZero();
			assertThat(refused.output()).contains("The master could not bind its Unix socket: Address already in use: "
					+ "a process listens on unix:" + socket);
			try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
				assertThat(client.isConnected()).as("the other process's socket is left alone").isTrue();
			}
		}
		Path file = this.temp.resolve("data.txt");
		Files.writeString(file, "keep me");
		MasterProcess.Exited notASocket = MasterProcess.runToExit("--prefork.unix-socket.path=" + file);
		assertThat(notASocket.code()).isNotZero();
		assertThat(notASocket.output()).contains(file + " exists and is not a socket; prefork never removes it");
		assertThat(Files.readString(file)).isEqualTo("keep me");
	}

	@Test
	void aJettyApplicationIsRefused() throws Exception {
		Path socket = this.temp.resolve("app.sock");
		MasterProcess.Exited refused = MasterProcess.runToExit(MasterProcess.JETTY_JAR,
				"--prefork.unix-socket.path=" + socket);
		assertThat(refused.code()).isNotZero();
		assertThat(refused.output()).contains("A Unix domain socket (" + socket + ") is served by workers on Tomcat "
				+ "or Reactor Netty only; this application runs on Jetty.");
		assertThat(refused.started()).as("no worker").isEmpty();
		assertThat(Files.exists(socket, LinkOption.NOFOLLOW_LINKS)).as("removed").isFalse();
	}

	/** A socket file nobody listens on, as a master killed with SIGKILL leaves. */
	private static void staleSocket(Path path) throws IOException {
		try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
			dead.bind(UnixDomainSocketAddress.of(path));
		}
		assertThat(Files.exists(path, LinkOption.NOFOLLOW_LINKS)).isTrue();
	}

	/** One HTTP/1.1 request over the Unix socket; returns the response's status line. */
	private static String get(Path socket, String path) throws IOException {
		try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
			channel.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
				.getBytes(StandardCharsets.US_ASCII)));
			InputStream in = Channels.newInputStream(channel);
			String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
			int end = response.indexOf("\r\n");
			return (end > 0) ? response.substring(0, end) : "no response (" + response.length() + " bytes)";
		}
	}

}
