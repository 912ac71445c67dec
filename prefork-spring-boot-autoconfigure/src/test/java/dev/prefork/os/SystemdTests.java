package dev.prefork.os;

import java.io.IOException;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

class SystemdTests {

	@Test
	void socketActivationIsForTheProcessNamedByListenPid() throws IOException {
		assertThat(SocketActivation.passedSocket(Map.of(), 42)).isEmpty();
		assertThat(SocketActivation.passedSocket(Map.of("LISTEN_PID", "41", "LISTEN_FDS", "1"), 42)).isEmpty();
		assertThat(SocketActivation.passedSocket(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "0"), 42)).isEmpty();
		assertThatIOException()
			.isThrownBy(() -> SocketActivation.passedSocket(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "x"), 42))
			.withMessage("LISTEN_FDS=x is not a number");
	}

	@Test
	void notifySocketAddressesArePathsOrAbstractNames() {
		byte[] path = SystemdNotify.sockaddrUn("/run/systemd/notify");
		assertThat(path[0]).isEqualTo((byte) 1);
		assertThat(new String(path, 2, path.length - 3)).isEqualTo("/run/systemd/notify");
		assertThat(path[path.length - 1]).as("NUL-terminated").isZero();
		byte[] abstractName = SystemdNotify.sockaddrUn("@notify");
		assertThat(abstractName[2]).as("abstract: leading NUL").isZero();
		assertThat(new String(abstractName, 3, abstractName.length - 3)).isEqualTo("notify");
	}

	@Test
	void withoutNotifySocketNothingIsSent() {
		assertThat(SystemdNotify.of(null, false).isEnabled()).isFalse();
		assertThat(SystemdNotify.of("relative/path", false).isEnabled()).isFalse();
		SystemdNotify.of(null, false).send("READY=1");
	}

}
