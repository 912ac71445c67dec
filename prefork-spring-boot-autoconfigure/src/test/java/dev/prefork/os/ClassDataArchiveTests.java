package dev.prefork.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

class ClassDataArchiveTests {

	@TempDir
	Path temp;

	@Test
	void findsTheJarAfterDashJar() {
		assertThat(ClassDataArchive.applicationJar(command("java", "-Xmx1g", "-jar", "app.jar", "--x=1")))
			.isEqualTo(Path.of("app.jar"));
		assertThat(ClassDataArchive.applicationJar(command("java", "-cp", "app.jar", "com.example.Main"))).isNull();
		assertThat(ClassDataArchive.applicationJar(command("java", "-jar"))).isNull();
	}

	@Test
	void aMainClassLaunchCannotUseAnArchive() {
		assertThat(ClassDataArchive.unsupportedReason(command("java", "-cp", "app.jar", "Main"), null))
			.contains("not started with java -jar");
	}

	@Test
	void anArchiveManagedByHandTurnsPreloadOff() throws IOException {
		Path jar = Files.createFile(this.temp.resolve("app.jar"));
		assertThat(ClassDataArchive.unsupportedReason(
				command("java", "-XX:SharedArchiveFile=mine.jsa", "-jar", jar.toString()), null))
			.contains("-XX:SharedArchiveFile=mine.jsa");
		assertThat(ClassDataArchive.unsupportedReason(command("java", "-Xshare:off", "-jar", jar.toString()), null))
			.contains("-Xshare:off");
	}

	@Test
	void aMissingJarOrAReadOnlyDirectoryCannotHoldAnArchive() throws IOException {
		assertThat(ClassDataArchive.unsupportedReason(command("java", "-jar", this.temp.resolve("gone.jar").toString()),
				null))
			.contains("is not a file");
		Path jar = Files.createFile(this.temp.resolve("app.jar"));
		Path readOnly = Files.createDirectory(this.temp.resolve("ro"),
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r-xr-xr-x")));
		assumeFalse(Files.isWritable(readOnly), "root may write anywhere");
		assertThat(ClassDataArchive.unsupportedReason(command("java", "-jar", jar.toString()), readOnly.resolve("a")))
			.contains("is not a writable directory");
	}

	@Test
	void aJarInAWritableDirectoryCanUseAnArchive() throws IOException {
		Path jar = Files.createFile(this.temp.resolve("app.jar"));
		assertThat(ClassDataArchive.unsupportedReason(command("java", "-jar", jar.toString()), null)).isNull();
		assertThat(ClassDataArchive.unsupportedReason(command("java", "-jar", jar.toString()),
				this.temp.resolve("not/yet/there")))
			.isNull();
	}

	@Test
	void onRefusesWhereAutoStartsCold() {
		JvmCommandLine mainClass = command("java", "-cp", "app.jar", "Main");
		assertThatIllegalStateException()
			.isThrownBy(() -> ClassDataArchive.of(ClassDataArchive.Mode.ON, null, mainClass, Duration.ofSeconds(1)))
			.withMessageContaining("not started with java -jar");
		try (ClassDataArchive auto = ClassDataArchive.of(ClassDataArchive.Mode.AUTO, null, mainClass,
				Duration.ofSeconds(1))) {
			assertThat(auto.isEnabled()).isFalse();
			assertThat(auto.commandLine(mainClass)).isSameAs(mainClass);
		}
	}

	@Test
	void offNeverLooksAtTheCommandLine() throws IOException {
		Path jar = Files.createFile(this.temp.resolve("app.jar"));
		JvmCommandLine cold = command("java", "-jar", jar.toString());
		try (ClassDataArchive off = ClassDataArchive.of(ClassDataArchive.Mode.OFF, null, cold, Duration.ofSeconds(1))) {
			off.prepare(false);
			off.buildIfMissing();
			assertThat(off.isEnabled()).isFalse();
			assertThat(off.commandLine(cold)).isSameAs(cold);
		}
	}

	@Test
	void workersStartFromTheExtractedJarWithTheArchive() {
		JvmCommandLine cold = command("java", "-Xmx1g", "-jar", "app.jar", "--server.port=8080");
		assertThat(ClassDataArchive.withArchive(cold, Path.of("/a/application/app.jar"), Path.of("/a/app.jsa"), 17)
			.argv()).containsExactly("java", "-Xmx1g", "-XX:SharedArchiveFile=/a/app.jsa", "-jar",
					"/a/application/app.jar", "--server.port=8080");
		assertThat(ClassDataArchive.withArchive(cold, Path.of("/a/application/app.jar"), Path.of("/a/app.aot"), 25)
			.argv()).containsExactly("java", "-Xmx1g", "-XX:AOTCache=/a/app.aot", "-jar", "/a/application/app.jar",
					"--server.port=8080");
	}

	@Test
	void archiveDirectoryAnotherUserControlsIsNeverUsed() throws Exception {
		Path jar = Files.createFile(this.temp.resolve("app.jar"));
		JvmCommandLine cold = command("java", "-jar", jar.toString());
		Files.setPosixFilePermissions(this.temp, PosixFilePermissions.fromString("rwxr-xr-x"));
		Path shared = Files.createDirectory(this.temp.resolve("shared"));
		Native.posix().chmod(shared.toString(), 01777);
		try (OtherUser other = OtherUser.create()) {
			Path theirs = shared.resolve("archives");
			other.run("mkdir", "-m", "755", theirs.toString());
			assertThatIllegalStateException()
				.isThrownBy(() -> ClassDataArchive.of(ClassDataArchive.Mode.ON, theirs, cold, Duration.ofSeconds(1)))
				.withMessageContaining(theirs + " is owned by uid " + other.uid());
			try (ClassDataArchive auto = ClassDataArchive.of(ClassDataArchive.Mode.AUTO, theirs, cold,
					Duration.ofSeconds(1))) {
				assertThat(auto.isEnabled()).isFalse();
				assertThat(auto.commandLine(cold)).isSameAs(cold);
			}
		}
		Path open = Files.createDirectory(this.temp.resolve("open"));
		Native.posix().chmod(open.toString(), 0777);
		assertThat(ClassDataArchive.unsupportedReason(cold, open)).contains(open + " is writable by group or others");
	}

	@Test
	void cleanupRemovesOnlyOldArchivesPreforkNamed() throws IOException {
		Path jar = Files.createFile(this.temp.resolve("app.jar"));
		Path directory = Files.createDirectory(this.temp.resolve("preload"));
		List<String> archives = List.of("app-0000000000000001-jdk17-0000aaaa", "app-0000000000000002-jdk17-0000aaaa",
				"app-0000000000000003-jdk17-0000aaaa", "app-0000000000000004-jdk17-0000aaaa");
		long time = 1_700_000_000_000L;
		for (String name : archives) {
			Files.setLastModifiedTime(Files.createDirectory(directory.resolve(name)),
					java.nio.file.attribute.FileTime.fromMillis(time += 1000));
		}
		Path notes = Files.writeString(directory.resolve("app-notes.txt"), "keep me");
		Path backup = Files.createDirectory(directory.resolve("app-backup"));
		Files.setLastModifiedTime(notes, java.nio.file.attribute.FileTime.fromMillis(0));
		Files.setLastModifiedTime(backup, java.nio.file.attribute.FileTime.fromMillis(0));
		try (ClassDataArchive archive = ClassDataArchive.of(ClassDataArchive.Mode.AUTO, directory,
				command("java", "-jar", jar.toString()), Duration.ofSeconds(1))) {
			archive.removeOldArchives(archives.get(3));
		}
		assertThat(directory.resolve(archives.get(0))).doesNotExist();
		// the one workers start with and the two newest, which older workers may still map
		assertThat(directory.resolve(archives.get(1))).isDirectory();
		assertThat(directory.resolve(archives.get(2))).isDirectory();
		assertThat(directory.resolve(archives.get(3))).isDirectory();
		assertThat(notes).hasContent("keep me");
		assertThat(backup).isDirectory();
	}

	private static JvmCommandLine command(String... argv) {
		return new JvmCommandLine("/usr/bin/java", List.of(argv));
	}

}
