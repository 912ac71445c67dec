package dev.prefork.pidfile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class PidfileTests {

	@TempDir
	Path directory;

	private final long self = ProcessHandle.current().pid();

	@Test
	void writesThePidPrivatelyAndDeletesIt() throws Exception {
		Path path = this.directory.resolve("run/master.pid");
		Pidfile pidfile = Pidfile.write(path, this.self);
		assertThat(path).hasContent(Long.toString(this.self));
		assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-------");
		assertThat(this.directory.resolve("run")).isDirectoryNotContaining("glob:**.tmp");
		pidfile.delete();
		assertThat(path).doesNotExist();
	}

	@Test
	void refusesAPidfileOfALiveProcess() throws Exception {
		Path path = this.directory.resolve("master.pid");
		long parent = ProcessHandle.current().parent().orElseThrow().pid();
		Files.writeString(path, parent + "\n");
		assertThatExceptionOfType(Pidfile.AlreadyRunningException.class)
			.isThrownBy(() -> Pidfile.write(path, this.self))
			.withMessageContaining("names pid " + parent + ", which is still running");
		assertThat(path).hasContent(Long.toString(parent));
	}

	@Test
	void replacesAStalePidfile() throws Exception {
		Path path = this.directory.resolve("master.pid");
		Process exited = new ProcessBuilder("true").start();
		exited.waitFor();
		Files.writeString(path, exited.pid() + "\n");
		Pidfile.write(path, this.self);
		assertThat(path).hasContent(Long.toString(this.self));
	}

	@Test
	void leavesAPidfileThatAnotherMasterTookOver() throws Exception {
		Path path = this.directory.resolve("master.pid");
		Pidfile pidfile = Pidfile.write(path, this.self);
		Files.writeString(path, "1\n");
		pidfile.delete();
		assertThat(path).hasContent("1");
	}

}
