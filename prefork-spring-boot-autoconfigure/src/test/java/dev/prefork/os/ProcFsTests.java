package dev.prefork.os;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProcFsTests {

	@Test
	void listenOverflowsAreReadFromProcNetNetstat() {
		assertThat(ProcFs.listenOverflows()).isNotNaN().isGreaterThanOrEqualTo(0);
	}

}
