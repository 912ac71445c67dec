package dev.prefork.master;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RecordedPathsTests {

	private final RecordedPaths paths = new RecordedPaths();

	@Test
	void handsOutTheMostFrequentPathsSeenOftenEnough() {
		this.paths.add("/products/1", 50);
		this.paths.add("/", 20);
		this.paths.add("/products/1", 30);
		this.paths.add("/once", 1);
		assertThat(this.paths.top()).containsExactly("/products/1", "/");
	}

	@Test
	void aNewMasterStartsWithTheOldMastersListInItsOrder() {
		RecordedPaths seeded = RecordedPaths.seededWith("/b\n/a\nbad path\n/c");
		assertThat(seeded.top()).containsExactly("/b", "/a", "/c");
		assertThat(RecordedPaths.seededWith(null).top()).isEmpty();
	}

	@Test
	void refusesWhatNoWorkerCouldHaveSent() {
		assertThat(this.paths.add("no-slash", 10)).isFalse();
		assertThat(this.paths.add("/with space", 10)).isFalse();
		assertThat(this.paths.add("/tab\there", 10)).isFalse();
		assertThat(this.paths.add("/caf\u00e9", 10)).isFalse();
		assertThat(this.paths.add("/" + "a".repeat(RecordedPaths.MAX_LENGTH), 10)).isFalse();
		assertThat(this.paths.add("/ok", 0)).isFalse();
		assertThat(this.paths.add("/ok", -5)).isFalse();
		assertThat(this.paths.top()).isEmpty();
	}

	@Test
	void isBoundedAndForgetsTheLeastCounted() {
		for (int i = 0; i < RecordedPaths.MAX_PATHS; i++) {
			this.paths.add("/p" + i, 10 + i);
		}
		this.paths.add("/new", 100_000);
		assertThat(this.paths.top()).first().isEqualTo("/new");
		assertThat(this.paths.top()).hasSize(RecordedPaths.HANDED_OUT);
		this.paths.add("/p0", 10);
		assertThat(this.paths.top()).doesNotContain("/p0");
	}

	@Test
	void halvesLargeCountsSoThatNewTrafficCounts() {
		this.paths.add("/old", Integer.MAX_VALUE);
		for (int i = 0; i < 600; i++) {
			this.paths.add("/new", Integer.MAX_VALUE);
		}
		assertThat(this.paths.top()).startsWith("/new");
	}

}
