package dev.prefork.autoconfigure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import dev.prefork.os.OwnedFiles;

/**
 * The bearer token of {@code prefork.control}: given as {@code prefork.control.token}, or
 * read once at start from {@code prefork.control.token-file}, which only the master's user
 * may read.
 */
final class ControlToken {

	/** More than any token a person would type; a key store given by mistake is refused. */
	private static final long MAX_FILE_BYTES = 4096;

	private ControlToken() {
	}

	/**
	 * The token, or {@code null} when none is configured.
	 * @throws PreforkStartupException if both are set, or the file is missing, empty, too
	 * large, or readable or writable by another user
	 */
	static String of(ControlProperties control) {
		String token = control.getToken();
		boolean given = token != null && !token.isBlank();
		if (control.getTokenFile() == null) {
			return given ? token : null;
		}
		if (given) {
			throw new PreforkStartupException("Both prefork.control.token and prefork.control.token-file are set.",
					"Set only prefork.control.token-file (recommended: a command line is readable by every user of the "
							+ "machine), or only prefork.control.token.");
		}
		return read(control.getTokenFile().toPath().toAbsolutePath());
	}

	private static String read(Path file) {
		String action = "Write the token into " + file + " as the master's user and make it readable by that user only "
				+ "(chmod 600).";
		String problem = OwnedFiles.secretFileProblem(file);
		if (problem != null) {
			throw new PreforkStartupException("prefork.control.token-file " + file + " " + problem + ".", action);
		}
		String pathProblem = OwnedFiles.pathProblem(file, false);
		if (pathProblem != null) {
			throw new PreforkStartupException("prefork.control.token-file " + file + ": " + pathProblem + ".", action);
		}
		try {
			if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || Files.size(file) > MAX_FILE_BYTES) {
				throw new PreforkStartupException("prefork.control.token-file " + file
						+ " does not exist or is not a regular file of at most " + MAX_FILE_BYTES + " bytes.", action);
			}
			String token;
			try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
				token = new String(in.readNBytes((int) MAX_FILE_BYTES), StandardCharsets.UTF_8).strip();
			}
			if (token.isEmpty() || token.chars().anyMatch((c) -> c < 0x21 || c == 0x7f)) {
				throw new PreforkStartupException("prefork.control.token-file " + file + " is empty or holds more than "
						+ "one line or a space: it must hold the token alone.", action);
			}
			return token;
		}
		catch (IOException ex) {
			throw new PreforkStartupException("Cannot read prefork.control.token-file " + file + ": " + ex, action, ex);
		}
	}

}
