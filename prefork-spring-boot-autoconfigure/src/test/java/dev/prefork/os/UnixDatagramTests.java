package dev.prefork.os;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class UnixDatagramTests {

	@Test
	void notifySocketAddressesArePathsOrAbstractNames() {
		byte[] path = UnixDatagram.sockaddrUn("/run/systemd/notify");
		assertThat(path[0]).isEqualTo((byte) 1);
		assertThat(new String(path, 2, path.length - 3)).isEqualTo("/run/systemd/notify");
		assertThat(path[path.length - 1]).as("NUL-terminated").isZero();
		byte[] abstractName = UnixDatagram.sockaddrUn("@notify");
		assertThat(abstractName[2]).as("abstract: leading NUL").isZero();
		assertThat(new String(abstractName, 3, abstractName.length - 3)).isEqualTo("notify");
	}

}
