package dev.prefork.autoconfigure;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class ControlTokenTests {

	@TempDir
	Path temp;

	@Test
	void tokenFileReadableByItsOwnerOnlyGivesTheToken() throws Exception {
		Path file = tokenFile("s3cret\n", "rw-------");
		assertThat(ControlToken.of(control(null, file))).isEqualTo("s3cret");
		assertThat(ControlToken.of(control("given", null))).isEqualTo("given");
		assertThat(ControlToken.of(control(" ", null))).isNull();
		assertThat(ControlToken.of(control(null, null))).isNull();
	}

	@Test
	void tokenFileOthersCanReadIsRefused() throws Exception {
		Path file = tokenFile("s3cret", "rw-r--r--");
		assertThatExceptionOfType(PreforkStartupException.class).isThrownBy(() -> ControlToken.of(control(null, file)))
			.withMessageContaining("is readable by group or others (mode 0644; chmod 600 it)");
	}

	@Test
	void tokenFileThatIsASymbolicLinkIsRefused() throws Exception {
		Path target = tokenFile("s3cret", "rw-------");
		Path link = Files.createSymbolicLink(this.temp.resolve("link"), target);
		assertThatExceptionOfType(PreforkStartupException.class).isThrownBy(() -> ControlToken.of(control(null, link)))
			.withMessageContaining("is a symbolic link");
	}

	@Test
	void tokenFileInADirectoryOthersCanWriteIsRefused() throws Exception {
		Path file = tokenFile("s3cret", "rw-------");
		Files.setPosixFilePermissions(this.temp, PosixFilePermissions.fromString("rwxrwxrwx"));
		assertThatExceptionOfType(PreforkStartupException.class).isThrownBy(() -> ControlToken.of(control(null, file)))
			.withMessageContaining(this.temp + " is writable by group or others");
	}

	@Test
	void emptyMissingOrMultiLineTokenFilesAreRefused() throws Exception {
		Path empty = tokenFile("\n", "rw-------");
		assertThatExceptionOfType(PreforkStartupException.class).isThrownBy(() -> ControlToken.of(control(null, empty)))
			.withMessageContaining("is empty or holds more than one line");
		Path twoLines = Files.writeString(this.temp.resolve("two"), "a\nb");
		Files.setPosixFilePermissions(twoLines, PosixFilePermissions.fromString("rw-------"));
		assertThatExceptionOfType(PreforkStartupException.class)
			.isThrownBy(() -> ControlToken.of(control(null, twoLines)));
		assertThatExceptionOfType(PreforkStartupException.class)
			.isThrownBy(() -> ControlToken.of(control(null, this.temp.resolve("missing"))))
			.withMessageContaining("does not exist");
	}

	@Test
	void tokenAndTokenFileTogetherAreRefused() throws Exception {
		Path file = tokenFile("s3cret", "rw-------");
		assertThatExceptionOfType(PreforkStartupException.class).isThrownBy(() -> ControlToken.of(control("x", file)))
			.withMessage("Both prefork.control.token and prefork.control.token-file are set.");
	}

	private Path tokenFile(String content, String mode) throws Exception {
		Path file = Files.writeString(this.temp.resolve("token"), content);
		Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
		return file;
	}

	private static ControlProperties control(String token, Path file) {
		ControlProperties control = new ControlProperties();
		control.setToken(token);
		control.setTokenFile((file != null) ? file.toFile() : null);
		return control;
	}

}
