package dev.prefork.os;

import java.net.InetAddress;
import java.net.ServerSocket;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProcFsTests {

	@Test
	void listenOverflowsAreReadFromProcNetNetstat() {
		assertThat(ProcFs.listenOverflows()).isNotNaN().isGreaterThanOrEqualTo(0);
	}

	@Test
	void tellsWhetherAProcessServesAnAddressAndPort() throws Exception {
		long self = ProcessHandle.current().pid();
		InetAddress loopback = InetAddress.getLoopbackAddress();
		int port;
		try (ServerSocket socket = new ServerSocket(0, 1, loopback)) {
			port = socket.getLocalPort();
			assertThat(ProcFs.servesOn(self, loopback, port)).isTrue();
			assertThat(ProcFs.servesOn(self, InetAddress.getByName("127.0.0.2"), port)).as("another address").isFalse();
			long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElseThrow();
			assertThat(ProcFs.servesOn(parent, loopback, port)).as("another process").isFalse();
		}
		assertThat(ProcFs.servesOn(self, loopback, port)).as("closed").isFalse();
		try (ServerSocket every = new ServerSocket(0, 1)) {
			assertThat(ProcFs.servesOn(self, loopback, every.getLocalPort())).as("every address").isTrue();
		}
	}

	@Test
	void readsTheAddressesOfProcNetTcp() throws Exception {
		assertThat(ProcFs.procNetAddress("0100007F")).isEqualTo(InetAddress.getByName("127.0.0.1"));
		assertThat(ProcFs.procNetAddress("00000000000000000000000001000000")).isEqualTo(InetAddress.getByName("::1"));
		assertThat(ProcFs.procNetAddress("0000000000000000FFFF00000100007F"))
			.as("IPv4-mapped").isEqualTo(InetAddress.getByName("127.0.0.1"));
	}

}
