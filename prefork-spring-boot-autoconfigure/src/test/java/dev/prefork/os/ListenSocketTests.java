package dev.prefork.os;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import dev.prefork.master.ListenAddress;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class ListenSocketTests {

	@Test
	void bindsAnyFreePortAndQueuesConnections() throws IOException {
		try (ListenSocket socket = ListenSocket.bind(InetAddress.getLoopbackAddress(), 0, 16);
				Socket client = new Socket(InetAddress.getLoopbackAddress(), socket.port())) {
			assertThat(socket.port()).isPositive();
			assertThat(socket.fd()).isGreaterThan(2);
			assertThat(client.isConnected()).as("the kernel queues it although nobody accepts").isTrue();
		}
	}

	@Test
	void wildcardAcceptsIpv4() throws IOException {
		try (ListenSocket socket = ListenSocket.bind(null, 0, 16);
				Socket client = new Socket("127.0.0.1", socket.port())) {
			assertThat(client.isConnected()).isTrue();
		}
	}

	@Test
	void portInUseIsABindException() throws IOException {
		try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			assertThatExceptionOfType(BindException.class)
				.isThrownBy(() -> ListenSocket.bind(InetAddress.getLoopbackAddress(), taken.getLocalPort(), 16))
				.withMessage("Address already in use: 127.0.0.1 port " + taken.getLocalPort());
		}
	}

	@Test
	void closeReleasesThePort() throws IOException {
		ListenSocket socket = ListenSocket.bind(InetAddress.getLoopbackAddress(), 0, 16);
		int port = socket.port();
		socket.close();
		socket.close();
		try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
			assertThat(again.getLocalPort()).isEqualTo(port);
		}
	}

	@Test
	void aUnixSocketIsBoundWithItsModeAndRemovedOnceNobodyListens(@TempDir Path temp) throws IOException {
		Path path = temp.resolve("app.sock");
		ListenSocket socket = ListenSocket.bind(new ListenAddress.UnixSocket(path.toString(), 0640, null), 16);
		try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
			assertThat(client.isConnected()).isTrue();
			assertThat(socket.path()).isEqualTo(path.toString());
			assertThat(socket).hasToString("unix:" + path + " (fd " + socket.fd() + ")");
			assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS)))
				.isEqualTo("rw-r-----");
		}
		finally {
			socket.close();
		}
		assertThat(Files.exists(path, LinkOption.NOFOLLOW_LINKS)).isFalse();
	}

	@Test
	void aStaleUnixSocketIsReplacedALiveOneOrAnotherFileRefused(@TempDir Path temp) throws IOException {
		Path path = temp.resolve("app.sock");
		ListenAddress.UnixSocket unix = new ListenAddress.UnixSocket(path.toString(), 0660, null);
		try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
			live.bind(UnixDomainSocketAddress.of(path));
			assertThatExceptionOfType(BindException.class).isThrownBy(() -> ListenSocket.bind(unix, 16))
				.withMessage("Address already in use: a process listens on unix:" + path);
		}
		assertThat(Files.exists(path, LinkOption.NOFOLLOW_LINKS)).as("left by a closed channel: stale").isTrue();
		try (ListenSocket replaced = ListenSocket.bind(unix, 16);
				SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
			assertThat(client.isConnected()).isTrue();
		}
		Path file = temp.resolve("notes.txt");
		Files.writeString(file, "keep");
		assertThatExceptionOfType(IOException.class)
			.isThrownBy(() -> ListenSocket.bind(new ListenAddress.UnixSocket(file.toString(), 0660, null), 16))
			.withMessageContaining("exists and is not a socket; prefork never removes it");
		assertThat(Files.readString(file)).isEqualTo("keep");
	}

	@Test
	void aUnixSocketAnotherProcessStillListensOnIsKeptAtClose(@TempDir Path temp) throws IOException {
		Path path = temp.resolve("app.sock");
		ListenSocket socket = ListenSocket.bind(new ListenAddress.UnixSocket(path.toString(), 0660, null), 16);
		// As the other master of an upgrade does: the same socket on another descriptor.
		ListenSocket other = ListenSocket.inherit(Descriptors.moveAbove(Native.posix().dup(socket.fd()), 2));
		try {
			assertThat(other.path()).isEqualTo(path.toString());
			other.removeFileAtClose();
			socket.close();
			assertThat(Files.exists(path, LinkOption.NOFOLLOW_LINKS)).isTrue();
		}
		finally {
			other.close();
		}
		assertThat(Files.exists(path, LinkOption.NOFOLLOW_LINKS)).isFalse();
	}

	@Test
	void aUnixSocketSystemdPassedIsNeverRemoved(@TempDir Path temp) throws IOException {
		Path path = temp.resolve("app.sock");
		// systemd's socket, as a socket unit with ListenStream=<path> makes it
		int systemd = Native.libc().socket(LibC.AF_UNIX, LibC.SOCK_STREAM, 0);
		byte[] address = UnixDatagram.sockaddrUn(path.toString());
		assertThat(Native.libc().bind(systemd, address, address.length)).isZero();
		assertThat(Native.libc().listen(systemd, 16)).isZero();
		ListenSocket passed = ListenSocket.inherit(Descriptors.moveAbove(Native.posix().dup(systemd), 2));
		Native.closeQuietly(systemd);
		assertThat(passed.path()).isEqualTo(path.toString());
		passed.close();
		assertThat(Files.exists(path, LinkOption.NOFOLLOW_LINKS)).as("nobody listens, but it is systemd's").isTrue();
	}

	@Test
	void aUnixSocketInADirectoryOthersCanWriteIsRefused(@TempDir Path temp) throws IOException {
		Path shared = Files.createDirectory(temp.resolve("shared"));
		Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
		Path path = shared.resolve("app.sock");
		assertThatExceptionOfType(IOException.class)
			.isThrownBy(() -> ListenSocket.bind(new ListenAddress.UnixSocket(path.toString(), 0660, null), 16))
			.withMessageStartingWith("Refusing prefork.unix-socket.path " + path + ": ")
			.withMessageContaining("writable by group or others");
		assertThat(Files.exists(path, LinkOption.NOFOLLOW_LINKS)).isFalse();
		// Nor is a stale socket there removed: another user could have swapped it for another file.
		try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
			dead.bind(UnixDomainSocketAddress.of(path));
		}
		assertThatExceptionOfType(IOException.class)
			.isThrownBy(() -> ListenSocket.bind(new ListenAddress.UnixSocket(path.toString(), 0660, null), 16))
			.withMessageContaining("writable by group or others");
		assertThat(Files.exists(path, LinkOption.NOFOLLOW_LINKS)).isTrue();
	}

	@Test
	void aUnixSocketPathTooLongIsRefused(@TempDir Path temp) {
		String path = temp.resolve("x".repeat(120) + ".sock").toString();
		assertThatExceptionOfType(IOException.class)
			.isThrownBy(() -> ListenSocket.bind(new ListenAddress.UnixSocket(path, 0660, null), 16))
			.withMessageContaining("a Unix socket's path has at most 107");
	}

}
