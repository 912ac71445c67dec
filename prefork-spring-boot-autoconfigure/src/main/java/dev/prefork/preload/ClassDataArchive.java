package dev.prefork.preload;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.prefork.os.JvmCommandLine;
import dev.prefork.os.OwnedFiles;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The class-data archive workers start with ({@code prefork.preload}): the JVM's answer to
 * gunicorn's {@code --preload}. Built once per application jar and JVM, it is mapped by every
 * worker, so workers boot faster and share the archived class metadata.
 *
 * <p>
 * Building it ({@link ArchiveBuilder}): the fat jar is extracted ({@code -Djarmode=tools
 * extract}, since the JVM cannot archive classes read from nested jars), the application is
 * started once from the extracted jar ({@code PREFORK_ROLE=training}: it serves the warm-up
 * requests on a loopback port and exits, or exits at context refresh without a warm-up) with
 * the JVM's dump option (AppCDS {@code -XX:ArchiveClassesAtExit} before JDK 24, the AOT cache
 * {@code -XX:AOTCacheOutput} from 24 on), and the result is checked by a JVM that must map it.
 * A marker file written last tells a complete archive from a half-built one; a lock file lets
 * several masters share one build.
 *
 * <p>
 * Nothing here ever stops a worker from booting: without a usable archive a worker starts
 * cold, from the command line the master itself was started with, and the reason is logged.
 * A worker started with an archive the JVM then refuses boots cold too ({@code -Xshare:auto},
 * the JVM default).
 */
public final class ClassDataArchive implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(ClassDataArchive.class);

	/** Options that mean the user manages class-data sharing already. */
	private static final List<String> USER_SHARING_OPTIONS = List.of("-XX:SharedArchiveFile", "-XX:ArchiveClassesAtExit",
			"-XX:AOTCache", "-XX:AOTCacheOutput", "-XX:AOTMode", "-XX:AOTConfiguration", "-Xshare:off",
			"-XX:-UseSharedSpaces");

	private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_DIRECTORY = PosixFilePermissions
		.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

	private static final FileAttribute<Set<PosixFilePermission>> PRIVATE_FILE = PosixFilePermissions
		.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

	/** Archives kept per application jar name: the current one and those older workers may still use. */
	private static final int KEPT = 3;

	/** Whether workers start with an archive. */
	public enum Mode {

		/** Where the JVM and the way the application was started allow it. */
		AUTO,

		/** Always; the master refuses to start where it is not possible. */
		ON,

		/** Never: workers start cold. */
		OFF,

		/** Build the archive (or check the one built) and exit, without serving: for a Dockerfile RUN step. */
		BUILD

	}

	private final Path directory;

	private final int javaFeature;

	private final String jvmIdentity;

	private final Duration buildTimeout;

	/** Runs the JVMs that build and check archives. */
	private final ArchiveBuilder builder;

	/** Where archives are looked for and built, one at a time: thread prefork-preload. */
	private final ExecutorService background;

	/** More environment for the training run: the recorded warm-up paths. */
	private volatile Supplier<Map<String, String>> trainingEnvironment = Map::of;

	/** The fat jar the master was started with; null when preload is off. */
	private final Path applicationJar;

	/** The archive workers start with, or null for a cold start. */
	private volatile Archive current;

	/** The workers' group, when they run as another user; -1 when they run as the master's. */
	private volatile int workerGroup = -1;

	/** The jar's file attributes when {@link #current} was chosen or its build started. */
	private volatile JarStamp stamp;

	private ClassDataArchive(Path directory, JvmCommandLine master, Path applicationJar, int javaFeature,
			String jvmIdentity, Duration buildTimeout) {
		this.directory = directory;
		this.applicationJar = applicationJar;
		this.javaFeature = javaFeature;
		this.jvmIdentity = jvmIdentity;
		this.buildTimeout = buildTimeout;
		this.builder = new ArchiveBuilder(master.withoutMasterSecrets(), applicationJar, javaFeature, buildTimeout);
		this.background = Executors.newSingleThreadExecutor((task) -> {
			Thread thread = new Thread(task, "prefork-preload");
			thread.setDaemon(true);
			// Not the web application's loader it may be created under: the build thread belongs
			// to the master, and a stopping Tomcat would report it as a leak of the application.
			thread.setContextClassLoader(ClassDataArchive.class.getClassLoader());
			return thread;
		});
	}

	/**
	 * Decides whether workers of this master use an archive.
	 * @param mode the configured mode
	 * @param directory where archives are kept, or null for next to the application jar
	 * @param master the master's command line, which workers copy
	 * @param buildTimeout the longest a training run may take
	 * @return the archive manager; {@link #isEnabled()} false for cold starts only
	 * @throws IllegalStateException if mode is {@link Mode#ON} and an archive cannot be used,
	 * with the reason
	 */
	public static ClassDataArchive of(Mode mode, Path directory, JvmCommandLine master, Duration buildTimeout) {
		String unsupported = (mode != Mode.OFF) ? unsupportedReason(master, directory) : "prefork.preload is off";
		if (unsupported != null) {
			if (mode == Mode.ON || mode == Mode.BUILD) {
				throw new IllegalStateException(unsupported);
			}
			if (mode == Mode.AUTO) {
				logger.info("Workers start without a class-data archive: " + unsupported);
			}
			return new ClassDataArchive(null, master, null, 0, null, buildTimeout);
		}
		Path jar = applicationJar(master).toAbsolutePath().normalize();
		Path where = (directory != null) ? directory.toAbsolutePath().normalize() : defaultDirectory(jar);
		return new ClassDataArchive(where, master, jar, Runtime.version().feature(), jvmIdentity(), buildTimeout);
	}

	static String unsupportedReason(JvmCommandLine master, Path directory) {
		Path jar = applicationJar(master);
		if (jar == null) {
			return "the application was not started with java -jar (a class-data archive needs the application jar)";
		}
		if (!Files.isRegularFile(jar)) {
			return "the application jar " + jar + " is not a file";
		}
		for (String argument : ArchiveBuilder.jvmOptions(master)) {
			for (String option : USER_SHARING_OPTIONS) {
				if (argument.startsWith(option)) {
					return "the JVM was started with " + argument + " (class-data sharing is managed by hand)";
				}
			}
		}
		Path where = (directory != null) ? directory.toAbsolutePath() : defaultDirectory(jar.toAbsolutePath());
		Path existing = where;
		while (existing != null && !Files.exists(existing)) {
			existing = existing.getParent();
		}
		if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
			return where + " is not a writable directory (set prefork.preload-dir)";
		}
		// The master creates a missing directory itself (and checks it again once it exists).
		String untrusted = OwnedFiles.pathProblem(where, true);
		if (untrusted != null) {
			return "the class-data archive directory " + where + " is not safe: " + untrusted
					+ ", and every worker would run what another user put there (set prefork.preload-dir to a "
					+ "directory of this user, mode 700 or 755, in directories only root or this user can write)";
		}
		return null;
	}

	/** Archives are kept in {@code .prefork/} next to the application jar. */
	private static Path defaultDirectory(Path jar) {
		return jar.toAbsolutePath().normalize().resolveSibling(".prefork");
	}

	/** The jar after {@code -jar}, or null if the JVM was started with a main class. */
	static Path applicationJar(JvmCommandLine command) {
		int index = command.argv().indexOf("-jar");
		return (index > 0 && index + 1 < command.argv().size()) ? Path.of(command.argv().get(index + 1)) : null;
	}

	private static String jvmIdentity() {
		String identity = System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.version") + " "
				+ System.getProperty("java.home");
		return HexFormat.of().formatHex(sha256(identity.getBytes(StandardCharsets.UTF_8))).substring(0, 8);
	}

	/** Environment for each training run, such as the warm-up paths recorded so far. */
	public ClassDataArchive withTrainingEnvironment(Supplier<Map<String, String>> environment) {
		this.trainingEnvironment = environment;
		return this;
	}

	/** Whether workers may start with an archive at all. */
	public boolean isEnabled() {
		return this.applicationJar != null;
	}

	/**
	 * Before the first workers start: uses the archive for the jar as it is now if one was
	 * built already (by an earlier start, or by {@code prefork.preload=build}). Without one,
	 * the first workers start cold at once, and the archive is built by
	 * {@link #buildIfMissing()} once they are ready, unless {@code wait} is set.
	 * @param wait build a missing archive now (at most the build timeout), as the new master
	 * of an upgrade does while the old master serves
	 */
	public void prepare(boolean wait) {
		if (!isEnabled()) {
			return;
		}
		try {
			Runnable task = wait ? () -> refresh(false) : this::findBuilt;
			this.background.submit(task)
				.get(this.buildTimeout.toMillis() + ArchiveBuilder.CHECK_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (Exception ex) {
			logger.warn("The class-data archive is not ready (" + ex + "); workers start cold until it is");
		}
	}

	/**
	 * Builds the archive in the background if there is none for the jar as it is now;
	 * workers spawned after it is built use it.
	 */
	public void buildIfMissing() {
		if (isEnabled() && this.current == null) {
			this.background.execute(() -> refresh(true));
		}
	}

	/**
	 * Builds the archive now, or checks the one already built ({@code prefork.preload=build}).
	 * @return the archive file
	 * @throws IOException if it cannot be built, with the reason
	 */
	public Path build() throws IOException {
		if (!isEnabled()) {
			throw new IOException("class-data archives are off for this application");
		}
		this.stamp = JarStamp.of(this.applicationJar);
		return obtain(key(), false).file();
	}

	/** The archive for the jar as it is now, if a complete one is on disk: never builds. */
	private void findBuilt() {
		JarStamp before = JarStamp.of(this.applicationJar);
		this.stamp = before;
		try {
			String key = key();
			Path home = this.directory.resolve(key);
			Archive archive = Archive.in(home, this.applicationJar, this.javaFeature);
			if (Files.isDirectory(this.directory) && trustedDirectory() == null && archive.isComplete()
					&& trusted(home) && asBuilt(archive) && usable(archive, false)
					&& Objects.equals(JarStamp.of(this.applicationJar), before)) {
				logger.info("Workers start with the class-data archive " + archive.file());
				this.current = readable(archive.checked());
			}
			else {
				logger.info("No class-data archive for " + this.applicationJar.getFileName() + " yet: the first workers "
						+ "start cold, and it is built once they are ready (prefork.preload=build builds it ahead, "
						+ "as in a Dockerfile RUN step)");
			}
		}
		catch (IOException | RuntimeException ex) {
			logger.warn("Could not look for a class-data archive for " + this.applicationJar + ": " + ex.getMessage());
		}
	}

	/**
	 * The command line for a new worker: with the archive when one matches the jar as it is
	 * now, the cold command line otherwise. A changed jar (a deploy before a reload) starts
	 * an archive build in the background; workers start cold until it is ready, so a reload
	 * is never held up by it.
	 * @param cold the worker's command line without an archive
	 * @return the command line to start the worker with
	 */
	public JvmCommandLine commandLine(JvmCommandLine cold) {
		if (!isEnabled()) {
			return cold;
		}
		JarStamp now = JarStamp.of(this.applicationJar);
		if (!Objects.equals(now, this.stamp)) {
			this.stamp = now;
			this.current = null;
			this.background.execute(() -> refresh(true));
			return cold;
		}
		Archive archive = this.current;
		if (archive == null) {
			return cold;
		}
		String changed = changedSinceBuilt(archive);
		if (changed != null) {
			logger.warn("Worker starts cold from " + this.applicationJar + ": the class-data archive in " + archive.home()
					+ " is not what was built: " + changed + "; workers start cold until it is rebuilt");
			this.current = null;
			this.stamp = null;
			return cold;
		}
		return archive.commandLine(cold, this.javaFeature);
	}

	/**
	 * Right before a worker starts with an archive: what it would run (the archive file and
	 * the extracted application) must be what was built, in directories no other user can
	 * change.
	 * @return what is wrong, or {@code null}
	 */
	private String changedSinceBuilt(Archive archive) {
		long started = System.nanoTime();
		String problem = trustedDirectory();
		if (problem == null) {
			problem = OwnedFiles.problem(archive.home());
			problem = (problem != null) ? archive.home() + " " + problem : archive.digests().changed();
		}
		if (logger.isDebugEnabled()) {
			logger.debug(String.format("Checked the class-data archive %s against its digests in %.0f ms", archive.home(),
					(System.nanoTime() - started) / 1e6));
		}
		return problem;
	}

	/** What would let another user change the archive directory or what leads to it, or {@code null}. */
	private String trustedDirectory() {
		return OwnedFiles.pathProblem(this.directory, false);
	}

	/** Whether the files of an archive found on disk have the digests recorded when it was built. */
	private static boolean asBuilt(Archive archive) {
		String changed;
		try {
			changed = ArchiveDigests.read(archive.home(), archive.digested()).changed();
		}
		catch (IOException ex) {
			changed = ex.getMessage();
		}
		if (changed != null) {
			logger.warn("The class-data archive in " + archive.home() + " is not what was built (" + changed
					+ "); building it again");
			return false;
		}
		return true;
	}

	/** The archive workers start with now, if any. */
	public Path currentArchive() {
		Archive archive = this.current;
		return (archive != null) ? archive.file() : null;
	}

	/**
	 * Finds or builds the archive for the jar as it is now; runs on the background thread only.
	 * @param idle whether workers serve meanwhile (not at a start that waits for the archive)
	 */
	private void refresh(boolean idle) {
		JarStamp before = JarStamp.of(this.applicationJar);
		this.stamp = before;
		try {
			Archive archive = obtain(key(), idle);
			if (Objects.equals(JarStamp.of(this.applicationJar), before)) {
				this.current = readable(archive.checked());
			}
		}
		catch (IOException | RuntimeException ex) {
			if (Thread.currentThread().isInterrupted() || ex instanceof ClosedByInterruptException
					|| ex.getCause() instanceof InterruptedException) {
				logger.info("Stopped building the class-data archive: the master is stopping");
				return;
			}
			logger.warn("Could not prepare a class-data archive for " + this.applicationJar + ": "
					+ ((ex.getMessage() != null) ? ex.getMessage() : ex.toString()) + "; workers start cold");
		}
	}

	/**
	 * The archive for a key: the one on disk if a JVM can map it, a new one otherwise. Built
	 * in place, since an archive records the path of the jar it was trained on, under a lock
	 * file that other masters building the same archive wait on; complete once its marker
	 * file exists.
	 */
	private Archive obtain(String key, boolean idle) throws IOException {
		Files.createDirectories(this.directory, PRIVATE_DIRECTORY);
		String untrusted = trustedDirectory();
		if (untrusted != null) {
			throw new IOException("the directory " + this.directory + " is not safe: " + untrusted);
		}
		Path home = this.directory.resolve(key);
		Archive archive = Archive.in(home, this.applicationJar, this.javaFeature);
		try (FileChannel lock = FileChannel.open(this.directory.resolve("." + key + ".lock"), Set.of(
				StandardOpenOption.CREATE, StandardOpenOption.WRITE), PRIVATE_FILE); FileLock held = lock.lock()) {
			if (archive.isComplete() && trusted(home) && asBuilt(archive) && usable(archive, idle)) {
				logger.info("Workers start with the class-data archive " + archive.file());
				return archive;
			}
			deleteRecursively(home);
			Files.createDirectory(home, PRIVATE_DIRECTORY);
			try {
				this.builder.build(archive, this.trainingEnvironment.get(), idle);
				archive.withoutGroupOrOthersWrite();
			}
			catch (IOException | RuntimeException ex) {
				deleteRecursively(home);
				throw ex;
			}
		}
		removeOldArchives(key);
		return archive;
	}

	/**
	 * Whether every file of an archive found on disk is this user's and writable by no one
	 * else: the JVM does not verify an archive's contents, so whoever can change it runs
	 * code in every worker.
	 */
	private static boolean trusted(Path home) {
		try (Stream<Path> paths = Files.walk(home)) {
			for (Path path : paths.toList()) {
				String problem = OwnedFiles.problem(path);
				if (problem != null) {
					logger.warn("The class-data archive in " + home + " is not trusted: " + path + " " + problem
							+ "; building it again");
					return false;
				}
			}
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	/**
	 * Lets the workers' group ({@code prefork.group}, or the user's) read the archives: pass
	 * through prefork's own directory (a {@code prefork.preload-dir} of the operator's must let
	 * it already) and, from now on, read each archive workers start with.
	 * @param gid the group
	 * @throws IOException if the permissions cannot be set
	 */
	public void readableByGroup(int gid) throws IOException {
		if (!isEnabled()) {
			return;
		}
		this.workerGroup = gid;
		Files.createDirectories(this.directory, PRIVATE_DIRECTORY);
		if (this.directory.equals(defaultDirectory(this.applicationJar))) {
			// prefork's own directory: the workers' group may pass through it, not list it.
			Archive.grantGroupSearch(this.directory, gid);
		}
		else if (!Archive.searchableBy(this.directory, gid)) {
			throw new IOException(this.directory + " (prefork.preload-dir) does not let the workers' group (gid " + gid
					+ ") reach the archives in it: chgrp " + gid + " " + this.directory + " && chmod g+x "
					+ this.directory);
		}
		Archive archive = this.current;
		if (archive != null) {
			archive.readableByGroup(gid);
		}
	}

	private Archive readable(Archive archive) throws IOException {
		if (this.workerGroup >= 0) {
			archive.readableByGroup(this.workerGroup);
		}
		return archive;
	}

	/** Whether a JVM can map an archive found on disk (a crash or a disk error may have damaged it). */
	private boolean usable(Archive archive, boolean idle) {
		try {
			this.builder.check(archive, archive.home().resolve("check.log"), idle);
			return true;
		}
		catch (IOException ex) {
			logger.warn("The class-data archive " + archive.file() + " is unusable (" + ex.getMessage()
					+ "); building it again");
			return false;
		}
	}

	/** {@code <jar name>-<jar checksum>-jdk<feature>-<JVM>}: a new jar or JVM gets a new archive. */
	private String key() throws IOException {
		MessageDigest digest = sha256();
		try (InputStream in = Files.newInputStream(this.applicationJar)) {
			byte[] buffer = new byte[64 * 1024];
			for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
				digest.update(buffer, 0, read);
			}
		}
		String checksum = HexFormat.of().formatHex(digest.digest()).substring(0, 16);
		return jarBaseName() + "-" + checksum + "-jdk" + this.javaFeature + "-" + this.jvmIdentity;
	}

	private String jarBaseName() {
		return this.applicationJar.getFileName().toString().replaceFirst("\\.jar$", "");
	}

	/** Keeps the newest archives of this jar name; workers of an older generation may still run from them. */
	void removeOldArchives(String keep) {
		// Only what prefork named (see key()): the directory may be shared with other files.
		Pattern ours = Pattern.compile(Pattern.quote(jarBaseName()) + "-[0-9a-f]{16}-jdk[0-9]+-[0-9a-f]{8}");
		try (Stream<Path> entries = Files.list(this.directory)) {
			List<Path> archives = entries.filter((entry) -> ours.matcher(entry.getFileName().toString()).matches())
				.filter(Files::isDirectory)
				.filter((entry) -> !entry.getFileName().toString().equals(keep))
				.sorted(Comparator.comparing(ClassDataArchive::modified).reversed())
				.toList();
			for (Path old : archives.subList(Math.min(KEPT - 1, archives.size()), archives.size())) {
				deleteRecursively(old);
				Files.deleteIfExists(this.directory.resolve("." + old.getFileName() + ".lock"));
				logger.info("Removed the old class-data archive " + old);
			}
		}
		catch (IOException ex) {
			logger.warn("Could not remove old class-data archives in " + this.directory + ": " + ex.getMessage());
		}
	}

	private static FileTime modified(Path path) {
		try {
			return Files.getLastModifiedTime(path);
		}
		catch (IOException ex) {
			return FileTime.fromMillis(0);
		}
	}

	private static void deleteRecursively(Path root) {
		if (!Files.exists(root)) {
			return;
		}
		try (Stream<Path> paths = Files.walk(root)) {
			paths.sorted(Comparator.reverseOrder()).forEach((path) -> path.toFile().delete());
		}
		catch (IOException ex) {
			logger.warn("Could not remove " + root + ": " + ex.getMessage());
		}
	}

	private static MessageDigest sha256() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static byte[] sha256(byte[] bytes) {
		return sha256().digest(bytes);
	}

	/** Stops a build in progress: its JVM is killed and gone before this returns (at most 10 s). */
	@Override
	public void close() {
		this.background.shutdownNow();
		try {
			this.background.awaitTermination(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/** The jar's identity on disk; a deploy that replaces it changes it. */
	private record JarStamp(Object fileKey, long size, FileTime modified) {

		static JarStamp of(Path jar) {
			try {
				BasicFileAttributes attributes = Files.readAttributes(jar, BasicFileAttributes.class);
				return new JarStamp(attributes.fileKey(), attributes.size(), attributes.lastModifiedTime());
			}
			catch (IOException ex) {
				return null;
			}
		}

	}

}
