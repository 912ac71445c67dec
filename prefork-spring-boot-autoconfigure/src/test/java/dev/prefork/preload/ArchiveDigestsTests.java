package dev.prefork.preload;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

/**
 * What a worker started with an archive runs, compared with what was built: an extracted
 * application (jar and lib/) and the archive file, changed the ways issue 22's attack did.
 */
class ArchiveDigestsTests {

	private static final List<String> ROOTS = List.of("app.jsa", "application");

	@TempDir
	Path home;

	private Path jar;

	@BeforeEach
	void builtArchive() throws Exception {
		Files.writeString(this.home.resolve("app.jsa"), "archive");
		this.jar = Files.writeString(Files.createDirectories(this.home.resolve("application")).resolve("app.jar"), "app");
		Files.writeString(Files.createDirectories(this.home.resolve("application/lib")).resolve("dep.jar"), "dep");
		ArchiveDigests.of(this.home, ROOTS).write();
	}

	@Test
	void digestsAreWrittenAsSha256sumWritesThem() throws Exception {
		assertThat(this.home.resolve("sha256sums")).hasContent(String.join("\n",
				ArchiveDigests.sha256(this.home.resolve("app.jsa")) + "  app.jsa",
				ArchiveDigests.sha256(this.jar) + "  application/app.jar",
				ArchiveDigests.sha256(this.home.resolve("application/lib/dep.jar")) + "  application/lib/dep.jar"));
		assertThat(Files.getPosixFilePermissions(this.home.resolve("sha256sums")))
			.isEqualTo(PosixFilePermissions.fromString("rw-------"));
		assertThat(ArchiveDigests.read(this.home, ROOTS).changed()).isNull();
	}

	@Test
	void aPlantedJarIsFound() throws Exception {
		Files.writeString(this.jar, "evil");
		assertThat(ArchiveDigests.read(this.home, ROOTS).changed())
			.startsWith(this.jar + " changed since the archive was built (SHA-256 ");
	}

	@Test
	void aJarThatBecameASymbolicLinkIsNotFollowed() throws Exception {
		Path elsewhere = Files.writeString(this.home.resolveSibling(this.home.getFileName() + ".jar"), "app");
		try {
			Files.delete(this.jar);
			Files.createSymbolicLink(this.jar, elsewhere);
			assertThat(ArchiveDigests.read(this.home, ROOTS).changed()).isEqualTo(this.jar + " is a symbolic link");
		}
		finally {
			Files.delete(elsewhere);
		}
	}

	@Test
	void anAddedLibraryOrAMissingFileIsFound() throws Exception {
		Path added = Files.writeString(this.home.resolve("application/lib/more.jar"), "more");
		assertThat(ArchiveDigests.read(this.home, ROOTS).changed())
			.isEqualTo(added + " was not there when the archive was built");
		Files.delete(added);
		Files.delete(this.home.resolve("application/lib/dep.jar"));
		assertThat(ArchiveDigests.read(this.home, ROOTS).changed())
			.isEqualTo(this.home.resolve("application/lib/dep.jar") + " is gone since the archive was built");
	}

	@Test
	void aFileOthersCanWriteIsRefusedUnread() throws Exception {
		Files.setPosixFilePermissions(this.jar, PosixFilePermissions.fromString("rw-rw-rw-"));
		assertThat(ArchiveDigests.read(this.home, ROOTS).changed())
			.isEqualTo(this.jar + " is writable by group or others (mode 0666)");
	}

	@Test
	void digestsThatAreNoDigestsAreRefused() throws Exception {
		Files.writeString(this.home.resolve("sha256sums"), "not a digest  app.jsa\n");
		assertThatIOException().isThrownBy(() -> ArchiveDigests.read(this.home, ROOTS))
			.withMessageContaining("holds a line that is no SHA-256 digest");
	}

}
