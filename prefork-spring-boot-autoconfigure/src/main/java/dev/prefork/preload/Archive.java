package dev.prefork.preload;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import dev.prefork.os.JvmCommandLine;

/**
 * One archive directory: the extracted application and the archive file.
 *
 * @param home the directory
 * @param jarName the application jar's file name
 * @param javaFeature the JDK feature version it is for
 * @param plainJar the application jar when it is used where it is, null when it is extracted
 * @param digests what the archive was built with, once it was checked; null before
 */
record Archive(Path home, String jarName, int javaFeature, Path plainJar, ArchiveDigests digests) {

	static final String APPLICATION = "application";

	/** For a Spring Boot jar, extracted into the home directory; for a plain jar, used where it is. */
	static Archive in(Path home, Path applicationJar, int javaFeature) {
		return new Archive(home, applicationJar.getFileName().toString(), javaFeature,
				isSpringBootJar(applicationJar) ? null : applicationJar, null);
	}

	boolean extracts() {
		return this.plainJar == null;
	}

	Path jar() {
		return extracts() ? this.home.resolve(APPLICATION).resolve(this.jarName) : this.plainJar;
	}

	Path file() {
		return this.home.resolve((this.javaFeature >= 24) ? "app.aot" : "app.jsa");
	}

	/** Written last: the archive passed its check. */
	Path marker() {
		return this.home.resolve("complete");
	}

	boolean isComplete() {
		return Files.isRegularFile(marker()) && Files.isRegularFile(file()) && Files.isRegularFile(jar());
	}

	/** With the digests recorded when it was built, which every worker start compares with. */
	Archive checked() throws IOException {
		return new Archive(this.home, this.jarName, this.javaFeature, this.plainJar,
				ArchiveDigests.read(this.home, digested()));
	}

	/**
	 * What a worker runs from this directory: the archive file and, for a Spring Boot jar,
	 * the extracted application (a plain jar runs from where it is, as a cold worker does).
	 */
	List<String> digested() {
		return extracts() ? List.of(file().getFileName().toString(), APPLICATION)
				: List.of(file().getFileName().toString());
	}

	/** A JVM that must map the archive (it exits 1 otherwise) for the extracted jar. */
	List<String> checkCommand(String java, int feature) {
		List<String> command = new ArrayList<>(List.of(java, "-cp", jar().toString()));
		command.addAll((feature >= 24) ? List.of("-XX:AOTMode=on", "-XX:AOTCache=" + file())
				: List.of("-Xshare:on", "-XX:SharedArchiveFile=" + file()));
		command.add("-version");
		return command;
	}

	JvmCommandLine commandLine(JvmCommandLine cold, int feature) {
		return withArchive(cold, jar(), file(), feature);
	}

	/**
	 * Lets the workers' group read the archive and the extracted application (they run as
	 * another user, {@code prefork.user}): the group becomes {@code gid}, with read (and
	 * directory search) permission, never write.
	 */
	void readableByGroup(int gid) throws IOException {
		try (Stream<Path> paths = Files.walk(this.home)) {
			for (Path path : paths.toList()) {
				// Not the build's own logs (the training run's output).
				if (!Files.isSymbolicLink(path) && !path.getFileName().toString().endsWith(".log")) {
					grantGroupRead(path, gid);
				}
			}
		}
	}

	/** {@code chgrp gid} and {@code chmod g+x}, g-rw: the group may pass through a directory, not list it. */
	static void grantGroupSearch(Path directory, int gid) throws IOException {
		Files.setAttribute(directory, "unix:gid", gid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
		Set<PosixFilePermission> permissions = EnumSet.copyOf(Files.getPosixFilePermissions(directory));
		permissions.add(PosixFilePermission.GROUP_EXECUTE);
		permissions.remove(PosixFilePermission.GROUP_READ);
		permissions.remove(PosixFilePermission.GROUP_WRITE);
		Files.setPosixFilePermissions(directory, permissions);
	}

	/** Whether the group {@code gid} may pass through a directory (as its group, or as others). */
	static boolean searchableBy(Path directory, int gid) throws IOException {
		Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(directory);
		int group = (Integer) Files.getAttribute(directory, "unix:gid");
		return permissions.contains(PosixFilePermission.OTHERS_EXECUTE)
				|| (group == gid && permissions.contains(PosixFilePermission.GROUP_EXECUTE));
	}

	/** {@code chgrp gid} and {@code chmod g+r} ({@code g+rx} for a directory) of one path. */
	static void grantGroupRead(Path path, int gid) throws IOException {
		Files.setAttribute(path, "unix:gid", gid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
		Set<PosixFilePermission> permissions = EnumSet.copyOf(Files.getPosixFilePermissions(path));
		permissions.add(PosixFilePermission.GROUP_READ);
		if (Files.isDirectory(path)) {
			permissions.add(PosixFilePermission.GROUP_EXECUTE);
		}
		permissions.remove(PosixFilePermission.GROUP_WRITE);
		Files.setPosixFilePermissions(path, permissions);
	}

	/** Whatever the umask was, a built archive is writable by this user only. */
	void withoutGroupOrOthersWrite() throws IOException {
		try (Stream<Path> paths = Files.walk(this.home)) {
			for (Path path : paths.toList()) {
				if (!Files.isSymbolicLink(path)) {
					Set<PosixFilePermission> permissions = EnumSet.copyOf(Files.getPosixFilePermissions(path));
					if (permissions.removeAll(EnumSet.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE))) {
						Files.setPosixFilePermissions(path, permissions);
					}
				}
			}
		}
	}

	/**
	 * A worker's cold command line with the extracted jar instead of the fat one, and the
	 * archive option before {@code -jar}.
	 */
	static JvmCommandLine withArchive(JvmCommandLine cold, Path extractedJar, Path archive, int javaFeature) {
		List<String> argv = new ArrayList<>(cold.argv());
		int jar = argv.indexOf("-jar");
		argv.set(jar + 1, extractedJar.toString());
		argv.add(jar, (javaFeature >= 24) ? "-XX:AOTCache=" + archive : "-XX:SharedArchiveFile=" + archive);
		return new JvmCommandLine(cold.executable(), List.copyOf(argv), cold.secrets());
	}

	/**
	 * Whether a jar nests its dependencies (BOOT-INF/lib), which the JVM cannot archive; an
	 * extracted application jar (its dependencies in lib/ beside it, as in a layered
	 * container image) is archived as it is.
	 */
	static boolean isSpringBootJar(Path jar) {
		try (JarFile file = new JarFile(jar.toFile())) {
			return file.getEntry("BOOT-INF/") != null || file.getEntry("BOOT-INF/classes/") != null
					|| (file.getManifest() != null && file.getManifest().getMainAttributes().getValue("Spring-Boot-Lib") != null);
		}
		catch (IOException ex) {
			return true;
		}
	}

}
