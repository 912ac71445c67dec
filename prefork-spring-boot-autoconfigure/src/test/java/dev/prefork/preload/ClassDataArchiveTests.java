package dev.prefork.preload;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import javax.tools.ToolProvider;

import dev.prefork.os.JvmCommandLine;
import dev.prefork.os.Native;
import dev.prefork.os.OtherUser;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

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
	void aMissingJarOrAReadOnlyDirectoryCannotHoldAnArchive() throws Exception {
		assertThat(ClassDataArchive.unsupportedReason(command("java", "-jar", this.temp.resolve("gone.jar").toString()),
				null))
			.contains("is not a file");
		Path jar = Files.createFile(this.temp.resolve("app.jar"));
		Path readOnly = Files.createDirectory(this.temp.resolve("ro"),
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r-xr-xr-x")));
		// Root writes through any mode: for root the directory is made immutable instead.
		boolean immutable = Files.isWritable(readOnly);
		if (immutable) {
			chattr("+i", readOnly);
		}
		try {
			assertThat(Files.isWritable(readOnly)).as("a directory this user cannot write").isFalse();
			assertThat(ClassDataArchive.unsupportedReason(command("java", "-jar", jar.toString()), readOnly.resolve("a")))
				.contains("is not a writable directory");
		}
		finally {
			if (immutable) {
				chattr("-i", readOnly);
			}
		}
	}

	private static void chattr(String flag, Path path) throws Exception {
		Process chattr = new ProcessBuilder("chattr", flag, path.toString()).inheritIO().start();
		assertThat(chattr.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) && chattr.exitValue() == 0)
			.as("chattr " + flag + " " + path)
			.isTrue();
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
		assertThat(Archive.withArchive(cold, Path.of("/a/application/app.jar"), Path.of("/a/app.jsa"), 17)
			.argv()).containsExactly("java", "-Xmx1g", "-XX:SharedArchiveFile=/a/app.jsa", "-jar",
					"/a/application/app.jar", "--server.port=8080");
		assertThat(Archive.withArchive(cold, Path.of("/a/application/app.jar"), Path.of("/a/app.aot"), 25)
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
	void preloadDirectoryInADirectoryAnotherUserOwnsIsRefusedOrStartsCold() throws Exception {
		// Issue 22: root's prefork.preload-dir=<cache>/app, <cache> another user's with mode 777.
		Path jar = Files.createFile(this.temp.resolve("app.jar"));
		JvmCommandLine cold = command("java", "-jar", jar.toString());
		Files.setPosixFilePermissions(this.temp, PosixFilePermissions.fromString("rwxr-xr-x"));
		try (OtherUser other = OtherUser.create()) {
			Path cache = Files.createDirectory(this.temp.resolve("cache"));
			Native.posix().chown(cache.toString(), other.uid(), -1);
			other.run("chmod", "777", cache.toString());
			Path app = cache.resolve("app");
			String expected = cache + " is owned by uid " + other.uid() + ", not by root or uid 0";
			assertThatIllegalStateException()
				.isThrownBy(() -> ClassDataArchive.of(ClassDataArchive.Mode.ON, app, cold, Duration.ofSeconds(1)))
				.withMessageContaining(expected);
			// A directory of root's own in it does not help: the other user can rename it away.
			Files.createDirectory(app, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
			assertThatIllegalStateException()
				.isThrownBy(() -> ClassDataArchive.of(ClassDataArchive.Mode.ON, app, cold, Duration.ofSeconds(1)))
				.withMessageContaining(expected);
			try (ClassDataArchive auto = ClassDataArchive.of(ClassDataArchive.Mode.AUTO, app, cold,
					Duration.ofSeconds(1))) {
				assertThat(auto.isEnabled()).isFalse();
				assertThat(auto.commandLine(cold)).isSameAs(cold);
			}
		}
	}

	@Test
	void preloadDirectoryBelowAnyDirectoryOthersCanWriteIsRefused() throws Exception {
		Path jar = Files.createFile(this.temp.resolve("app.jar"));
		JvmCommandLine cold = command("java", "-jar", jar.toString());
		Files.setPosixFilePermissions(this.temp, PosixFilePermissions.fromString("rwxr-xr-x"));
		Path open = Files.createDirectory(this.temp.resolve("open"));
		Native.posix().chmod(open.toString(), 0777);
		Path below = Files.createDirectories(open.resolve("mine/archives"));
		assertThat(ClassDataArchive.unsupportedReason(cold, below.resolve("not-yet")))
			.contains(open + " is writable by group or others (mode 0777), so another user can replace " + open.resolve("mine"));
		Path group = Files.createDirectory(this.temp.resolve("group"));
		Native.posix().chmod(group.toString(), 0775);
		assertThat(ClassDataArchive.unsupportedReason(cold, group.resolve("archives")))
			.contains(group + " is writable by group or others (mode 0775)");
		// Reached through a symbolic link: the directories of its target count.
		Path link = Files.createSymbolicLink(this.temp.resolve("link"), below);
		assertThat(ClassDataArchive.unsupportedReason(cold, link.resolve("archives")))
			.contains(open + " is writable by group or others (mode 0777)");
		// /tmp-like: sticky, and the master makes the directory itself.
		Path sticky = Files.createDirectory(this.temp.resolve("sticky"));
		Native.posix().chmod(sticky.toString(), 01777);
		assertThat(ClassDataArchive.unsupportedReason(cold, sticky.resolve("archives"))).isNull();
	}

	@Test
	void anArchiveReplacedByASymbolicLinkIsCaughtBeforeAWorkerStartsWithIt() throws Exception {
		// Issue 22: the directory renamed away, the archive a symbolic link to the real one.
		JvmCommandLine master = java("-jar", trainableJar(this.temp.resolve("app.jar")).toString());
		Path directory = this.temp.resolve("archives");
		try (ClassDataArchive archives = ClassDataArchive.of(ClassDataArchive.Mode.ON, directory, master,
				Duration.ofMinutes(2))) {
			Path file = archives.build();
			archives.prepare(false);
			assertThat(archives.commandLine(master).argv()).contains(archiveOption(file));
			Path moved = Files.move(directory, this.temp.resolve("archives.old"));
			Files.createDirectories(file.getParent());
			Files.createSymbolicLink(file, moved.resolve(directory.relativize(file)));
			assertThat(archives.commandLine(master)).isEqualTo(master);
			assertThat(archives.currentArchive()).isNull();
		}
	}

	@Test
	void anArchiveChangedInPlaceIsCaughtBeforeAWorkerStartsWithIt() throws Exception {
		JvmCommandLine master = java("-jar", trainableJar(this.temp.resolve("app.jar")).toString());
		try (ClassDataArchive archives = ClassDataArchive.of(ClassDataArchive.Mode.ON, this.temp.resolve("archives"),
				master, Duration.ofMinutes(2))) {
			Path file = archives.build();
			archives.prepare(false);
			assertThat(archives.commandLine(master).argv()).contains(archiveOption(file));
			// Same inode, size and modification time: only the content tells.
			FileTime modified = Files.getLastModifiedTime(file);
			byte[] bytes = Files.readAllBytes(file);
			bytes[bytes.length / 2] ^= 1;
			try (OutputStream out = Files.newOutputStream(file, java.nio.file.StandardOpenOption.WRITE)) {
				out.write(bytes);
			}
			Files.setLastModifiedTime(file, modified);
			assertThat(archives.commandLine(master)).isEqualTo(master);
		}
	}

	@Test
	void anArchiveWithoutRecordedDigestsIsBuiltAgain() throws Exception {
		JvmCommandLine master = java("-jar", trainableJar(this.temp.resolve("app.jar")).toString());
		Path directory = this.temp.resolve("archives");
		try (ClassDataArchive archives = ClassDataArchive.of(ClassDataArchive.Mode.ON, directory, master,
				Duration.ofMinutes(2))) {
			Path file = archives.build();
			Files.delete(file.resolveSibling("sha256sums"));
			archives.prepare(false);
			assertThat(archives.currentArchive()).isNull();
			assertThat(archives.build()).isEqualTo(file);
			assertThat(file.resolveSibling("sha256sums")).isRegularFile();
		}
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

	private static String archiveOption(Path file) {
		return ((Runtime.version().feature() >= 24) ? "-XX:AOTCache=" : "-XX:SharedArchiveFile=") + file;
	}

	/** A command line of this JVM's java binary. */
	private static JvmCommandLine java(String... arguments) {
		List<String> argv = new ArrayList<>(List.of("java"));
		argv.addAll(List.of(arguments));
		return new JvmCommandLine(Path.of(System.getProperty("java.home"), "bin", "java").toString(), argv);
	}

	/** A plain jar whose main class exits at once: a training run of a few hundred milliseconds. */
	private Path trainableJar(Path jar) throws IOException {
		Path source = Files.createDirectories(this.temp.resolve("src")).resolve("Main.java");
		Files.writeString(source, "public class Main { public static void main(String[] args) { } }");
		Path classes = Files.createDirectories(this.temp.resolve("classes"));
		assertThat(ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(), source.toString()))
			.isZero();
		Manifest manifest = new Manifest();
		manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
		manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "Main");
		try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
			out.putNextEntry(new JarEntry("Main.class"));
			out.write(Files.readAllBytes(classes.resolve("Main.class")));
			out.closeEntry();
		}
		return jar;
	}

	private static JvmCommandLine command(String... argv) {
		return new JvmCommandLine("/usr/bin/java", List.of(argv));
	}

}
