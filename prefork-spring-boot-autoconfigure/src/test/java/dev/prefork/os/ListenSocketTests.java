package dev.prefork.os;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

import org.junit.jupiter.api.Test;

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


}
