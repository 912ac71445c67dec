package dev.prefork.systemd;

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
	void withoutNotifySocketNothingIsSent() {
		assertThat(SystemdNotify.of(null, false).isEnabled()).isFalse();
		assertThat(SystemdNotify.of("relative/path", false).isEnabled()).isFalse();
		SystemdNotify.of(null, false).send("READY=1");
	}

}
