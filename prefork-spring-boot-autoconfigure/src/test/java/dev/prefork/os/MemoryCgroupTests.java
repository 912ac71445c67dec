package dev.prefork.os;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Finding the memory cgroup, its limit and its OOM kills, on file trees laid out as the
 * kernel lays out cgroup v1 and v2.
 */
class MemoryCgroupTests {

	@TempDir
	Path root;

	@Test
	void v1TakesTheSmallestLimitOnTheWayUpAndCountsItsOomKills() throws Exception {
		Path mount = Files.createDirectories(this.root.resolve("memory"));
		Path parent = Files.createDirectories(mount.resolve("pod"));
		Path own = Files.createDirectories(parent.resolve("app"));
		Files.writeString(mount.resolve("memory.limit_in_bytes"), "9223372036854771712\n");
		Files.writeString(parent.resolve("memory.limit_in_bytes"), "2147483648\n");
		Files.writeString(own.resolve("memory.limit_in_bytes"), "9223372036854771712\n");
		Files.writeString(parent.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
		MemoryCgroup cgroup = MemoryCgroup.of(List.of("5:cpu:/", "4:memory:/pod/app", "0::/"),
				List.of("30 25 0:27 / " + mount + " rw,relatime shared:9 - cgroup cgroup rw,memory",
						"31 25 0:28 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw"))
			.orElseThrow();
		assertThat(cgroup.directory()).isEqualTo(own);
		assertThat(cgroup.limitBytes()).isEqualTo(2L << 30);
		assertThat(cgroup.describeLimit()).isEqualTo("cgroup " + parent + " memory.limit_in_bytes");
		assertThat(cgroup.oomKills()).isEqualTo(4);
	}

	@Test
	void v2ReadsMemoryMaxAndMemoryEvents() throws Exception {
		Path own = Files.createDirectories(this.root.resolve("system.slice/app.service"));
		Files.writeString(own.resolve("memory.max"), "1073741824\n");
		Files.writeString(own.resolve("memory.events"), "low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\n");
		Files.writeString(this.root.resolve("system.slice/memory.max"), "max\n");
		MemoryCgroup cgroup = MemoryCgroup.of(List.of("0::/system.slice/app.service"),
				List.of("35 24 0:30 / " + this.root + " rw,nosuid - cgroup2 cgroup2 rw,nsdelegate"))
			.orElseThrow();
		assertThat(cgroup.limitBytes()).isEqualTo(1L << 30);
		assertThat(cgroup.oomKills()).isEqualTo(2);
	}

	@Test
	void inAContainerTheOwnCgroupIsTheMountsRoot() throws Exception {
		Files.writeString(this.root.resolve("memory.max"), "max\n");
		MemoryCgroup cgroup = MemoryCgroup.of(List.of("0::/kubepods/pod1/abc"),
				List.of("600 500 0:30 /kubepods/pod1/abc " + this.root + " ro - cgroup2 cgroup2 rw"))
			.orElseThrow();
		assertThat(cgroup.directory()).isEqualTo(this.root);
		assertThat(cgroup.limitBytes()).isEqualTo(-1);
		assertThat(cgroup.oomKills()).isEqualTo(-1);
	}

	@Test
	void noMemoryControllerNoCgroup() {
		assertThat(MemoryCgroup.of(List.of("4:cpu:/"), List.of("30 25 0:27 / /x rw - cgroup cgroup rw,cpu"))).isEmpty();
	}

}
