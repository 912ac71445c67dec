package dev.prefork.os;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Which user and group workers run as, checked against this machine's users (a real second
 * user, so as root), and the setpriv command in front of their java.
 */
class WorkerUserTests {

	@Test
	void aUserByNameOrUidWithItsOwnGroupAndItsSupplementaryGroups() throws Exception {
		try (OtherUser other = OtherUser.create()) {
			WorkerUser byName = WorkerUser.resolve(other.name(), null);
			assertThat(byName.uid()).isEqualTo(other.uid());
			assertThat(byName.name()).isEqualTo(other.name());
			assertThat(byName.knownUser()).isTrue();
			assertThat(WorkerUser.resolve(Integer.toString(other.uid()), null)).isEqualTo(byName);
			assertThat(byName.wrap("/opt/jdk/bin/java", List.of("java", "-Xmx1g", "-jar", "app.jar")))
				.containsExactly(byName.setpriv().toString(), "--reuid=" + other.uid(), "--regid=" + byName.gid(),
						"--init-groups", "--", "/opt/jdk/bin/java", "-Xmx1g", "-jar", "app.jar");
			assertThat(byName.describe()).isEqualTo("user " + other.name() + " (uid " + other.uid() + "), group "
					+ byName.groupName() + " (gid " + byName.gid() + ")");
			assertThatExceptionOfType(IOException.class).isThrownBy(() -> WorkerUser.resolve(other.name(), "0"))
				.withMessageContaining("workers never run as root or with the root group (gid 0)");
			assertThatExceptionOfType(IOException.class).isThrownBy(() -> WorkerUser.resolve("root", other.name()))
				.withMessageContaining("(uid 0)");
		}
	}

	@Test
	void aUidWithoutAnEntryNeedsAGroupAndGetsNoSupplementaryGroups() throws Exception {
		assertThatExceptionOfType(IOException.class).isThrownBy(() -> WorkerUser.resolve("64999", null))
			.withMessageContaining("has no entry on this machine: set prefork.group too");
		WorkerUser bare = WorkerUser.resolve("64999", "64999");
		assertThat(bare.knownUser()).isFalse();
		assertThat(bare.wrap("/usr/bin/java", List.of("java"))).contains("--clear-groups").doesNotContain("--init-groups");
	}

	@Test
	void noUserTheMastersOwnOrAMistakeIsNoSwitch() throws Exception {
		assertThat(WorkerUser.resolve(null, null)).isNull();
		assertThat(WorkerUser.resolve(" ", null)).isNull();
		int euid = Native.posix().geteuid();
		assertThat(WorkerUser.resolve(Integer.toString(euid), Integer.toString(Native.posix().getegid())))
			.as("the master's own user and group").isNull();
		assertThatExceptionOfType(IOException.class).isThrownBy(() -> WorkerUser.resolve(null, "daemon"))
			.withMessage("prefork.group=daemon is set without prefork.user");
		assertThatExceptionOfType(IOException.class).isThrownBy(() -> WorkerUser.resolve("prefork-no-such-user", null))
			.withMessage("prefork.user=prefork-no-such-user: no such user on this machine");
		assertThatExceptionOfType(IOException.class).isThrownBy(() -> WorkerUser.resolve("daemon", "prefork-no-such-group"))
			.withMessage("prefork.group=prefork-no-such-group: no such group on this machine");
		assertThat(Path.of("/usr/bin/setpriv")).as("util-linux, which the tests need").isExecutable();
	}

}
