package dev.prefork.preload;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import dev.prefork.os.OwnedFiles;

/**
 * SHA-256 digests of what a worker started with a class-data archive runs: the archive file
 * and the extracted application (its jar and {@code lib/}). Recorded when the archive is
 * built, in {@value #FILE} in the archive's directory (as {@code sha256sum} writes it, so
 * {@code sha256sum -c} checks it by hand), and compared before every worker starts: the JVM
 * verifies neither, so a file changed after the build would run in the worker.
 *
 * <p>
 * Files are opened with {@code O_NOFOLLOW} ({@link LinkOption#NOFOLLOW_LINKS}) and must pass
 * {@link OwnedFiles#problem(Path)}, so a symbolic link or another user's file in their place
 * is refused without being read. What a check cannot rule out is a file changed between
 * the check and the moment the worker's JVM opens it; only root and the master's user can
 * write there ({@link OwnedFiles#pathProblem}), so that is someone who can run code as the
 * master anyway.
 */
final class ArchiveDigests {

	/** The file in the archive's directory that holds the digests. */
	static final String FILE = "sha256sums";

	private static final int BUFFER = 1 << 20;

	private final Path home;

	private final List<String> roots;

	/** Relative path (to {@link #home}) to lowercase hex SHA-256, sorted. */
	private final Map<String, String> digests;

	private ArchiveDigests(Path home, List<String> roots, Map<String, String> digests) {
		this.home = home;
		this.roots = roots;
		this.digests = digests;
	}

	/**
	 * Digests every file of {@code roots} (files, or directories walked without following
	 * links).
	 * @param home the archive's directory
	 * @param roots paths relative to {@code home}
	 * @return the digests
	 * @throws IOException if a file cannot be read, or is a symbolic link, another user's, or
	 * writable by others
	 */
	static ArchiveDigests of(Path home, List<String> roots) throws IOException {
		return new ArchiveDigests(home, List.copyOf(roots), digest(home, roots));
	}

	/**
	 * Reads the digests recorded when the archive in {@code home} was built.
	 * @throws IOException if there are none (an archive of an older version) or they cannot
	 * be read
	 */
	static ArchiveDigests read(Path home, List<String> roots) throws IOException {
		Path file = home.resolve(FILE);
		if (!OwnedFiles.exists(file)) {
			throw new IOException("no digests were recorded when it was built (" + file + " is missing)");
		}
		String problem = OwnedFiles.problem(file);
		if (problem != null) {
			throw new IOException(file + " " + problem);
		}
		Map<String, String> digests = new TreeMap<>();
		byte[] bytes;
		try (SeekableByteChannel channel = Files.newByteChannel(file, Set.of(StandardOpenOption.READ,
				LinkOption.NOFOLLOW_LINKS))) {
			bytes = Channels.newInputStream(channel).readAllBytes();
		}
		for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
			if (line.isEmpty()) {
				continue;
			}
			if (line.length() < 67 || !line.substring(0, 64).matches("[0-9a-f]{64}") || !line.startsWith("  ", 64)) {
				throw new IOException(file + " holds a line that is no SHA-256 digest: " + line);
			}
			digests.put(line.substring(66), line.substring(0, 64));
		}
		return new ArchiveDigests(home, List.copyOf(roots), digests);
	}

	/** Writes the digests to {@value #FILE} in the archive's directory, readable by this user only. */
	void write() throws IOException {
		StringBuilder text = new StringBuilder();
		this.digests.forEach((name, digest) -> text.append(digest).append("  ").append(name).append('\n'));
		Files.writeString(Files.createFile(this.home.resolve(FILE),
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))), text,
				StandardCharsets.UTF_8);
	}

	/**
	 * Digests the files as they are now and compares them with these.
	 * @return what changed, e.g. {@code "application/app.jar changed since the archive was
	 * built (SHA-256 0a1b2c3d..., built from 4e5f6a7b...)"}, or {@code null} if nothing did
	 */
	String changed() {
		Map<String, String> now;
		try {
			now = digest(this.home, this.roots);
		}
		catch (IOException ex) {
			return ex.getMessage();
		}
		for (Map.Entry<String, String> built : this.digests.entrySet()) {
			String digest = now.get(built.getKey());
			if (digest == null) {
				return this.home.resolve(built.getKey()) + " is gone since the archive was built";
			}
			if (!digest.equals(built.getValue())) {
				return this.home.resolve(built.getKey()) + " changed since the archive was built (SHA-256 "
						+ digest.substring(0, 16) + "..., built from " + built.getValue().substring(0, 16) + "...)";
			}
		}
		for (String name : now.keySet()) {
			if (!this.digests.containsKey(name)) {
				return this.home.resolve(name) + " was not there when the archive was built";
			}
		}
		return null;
	}

	/** Whether the same files were recorded with the same digests. */
	boolean sameAs(ArchiveDigests other) {
		return Objects.equals(this.digests, other.digests);
	}

	private static Map<String, String> digest(Path home, List<String> roots) throws IOException {
		Map<String, String> digests = new TreeMap<>();
		for (String root : roots) {
			Path start = home.resolve(root);
			if (!Files.exists(start, LinkOption.NOFOLLOW_LINKS)) {
				throw new IOException(start + " is gone since the archive was built");
			}
			List<Path> paths;
			try (Stream<Path> walk = Files.walk(start)) {
				paths = walk.toList();
			}
			for (Path path : paths) {
				String problem = OwnedFiles.problem(path);
				if (problem != null) {
					throw new IOException(path + " " + problem);
				}
				if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
					digests.put(home.relativize(path).toString(), sha256(path));
				}
				else if (!Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
					throw new IOException(path + " is neither a file nor a directory");
				}
			}
		}
		return digests;
	}

	/** The SHA-256 of a file, opened with {@code O_NOFOLLOW}. */
	static String sha256(Path file) throws IOException {
		MessageDigest digest;
		try {
			digest = MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
		try (SeekableByteChannel channel = Files.newByteChannel(file, Set.of(StandardOpenOption.READ,
				LinkOption.NOFOLLOW_LINKS))) {
			ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
			while (channel.read(buffer) >= 0) {
				buffer.flip();
				digest.update(buffer);
				buffer.clear();
			}
		}
		return HexFormat.of().formatHex(digest.digest());
	}

}
