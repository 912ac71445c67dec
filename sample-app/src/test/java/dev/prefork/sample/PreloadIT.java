package dev.prefork.sample;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static dev.prefork.sample.MasterProcess.pidOfSlot;
import static dev.prefork.sample.MasterProcess.readyCount;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * prefork.preload: workers start with a class-data archive built once per jar and JVM (ahead
 * with prefork.preload=build, or in the background once the first workers serve), and boot
 * cold whenever the archive cannot be used.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class PreloadIT {

	@TempDir
	Path temp;

	@Test
	@Tag("jdk25")
	void buildOnlyModeBuildsTheArchiveThatWorkersMapAndTheyBootColdWhenItIsDamaged() throws Exception {
		Path archives = this.temp.resolve("archives");
		MasterProcess.Exited built = MasterProcess.runToExit("--prefork.preload=build",
				"--prefork.preload-dir=" + archives);
		assertThat(built.code()).as(built.output()).isZero();
		assertThat(built.output()).contains("Class-data archive built in")
			.contains("The class-data archive is ready")
			.doesNotContain("Listening on")
			.doesNotContain("Booted worker");
		Path archive = archiveFile(archives);
		assertThat(archive.resolveSibling("complete")).exists();
		MasterProcess.Exited again = MasterProcess.runToExit("--prefork.preload=build",
				"--prefork.preload-dir=" + archives);
		assertThat(again.code()).isZero();
		assertThat(again.output()).as("an archive already built is only checked")
			.doesNotContain("Class-data archive built in")
			.contains("The class-data archive is ready");

		try (MasterProcess master = MasterProcess.start("--prefork.workers=2", "--prefork.preload=on",
				"--prefork.preload-dir=" + archives)) {
			JsonNode status = master.awaitReady(2);
			assertThat(master.output()).as("the first workers use the archive built ahead")
				.doesNotContain("Class-data archive built in");
			for (long pid : MasterProcess.pids(status)) {
				assertThat(MasterProcess.commandLine(pid)).contains(archiveOption() + archive)
					.contains(archive.getParent().resolve("application/sample-app.jar").toString());
			}
			assertThat(master.get("/whoami").status()).isEqualTo(200);

			// Damaged behind the master's back, with its size and time kept: the digest recorded
			// at build time tells before a worker maps it. Not under running workers: they map
			// the file, and a file changed under a mapping crashes them (as a jar overwritten in
			// place would).
			master.signal("WINCH");
			master.awaitStatus("every worker stopped", (s) -> s.get("workers").isEmpty());
			damage(archive);
			master.signal("HUP");
			status = master.awaitStatus("generation 2 ready", (s) -> s.get("generation").asInt() == 2
					&& readyCount(s) == 2 && s.get("workers").size() == 2);
			assertThat(MasterProcess.commandLine(pidOfSlot(status, 0))).as("started cold, not with the damaged archive")
				.doesNotContain(archiveOption());
			assertThat(master.output()).contains(archive + " changed since the archive was built");
			assertThat(master.get("/whoami").status()).isEqualTo(200);
			// the master builds it again once the workers are ready: let it finish
			MasterProcess.await("the archive rebuilt", MasterProcess.BOOT,
					() -> output(master).contains("Class-data archive built in"));
		}
		// Damaged while no master runs: the next master finds it so at start.
		damage(archive);
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--prefork.preload=on",
				"--prefork.preload-dir=" + archives)) {
			long cold = pidOfSlot(master.awaitReady(1), 0);
			assertThat(master.output()).contains("is not what was built").contains(archive + " changed since the archive was built");
			assertThat(MasterProcess.commandLine(cold)).doesNotContain(archiveOption());
			MasterProcess.await("the archive rebuilt once the worker is ready", MasterProcess.BOOT,
					() -> output(master).contains("Class-data archive built in"));
		}
	}

	@Test
	void aJarPutInPlaceOfTheExtractedOneAfterTheBuildNeverRuns() throws Exception {
		Path archives = this.temp.resolve("archives");
		MasterProcess.Exited built = MasterProcess.runToExit("--prefork.preload=build",
				"--prefork.preload-dir=" + archives);
		assertThat(built.code()).as(built.output()).isZero();
		Path archive = archiveFile(archives);
		Path extracted = archive.getParent().resolve("application/sample-app.jar");
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--prefork.preload=on",
				"--prefork.preload-dir=" + archives)) {
			long first = pidOfSlot(master.awaitReady(1), 0);
			assertThat(MasterProcess.commandLine(first)).contains(archiveOption() + archive).contains(extracted.toString());
			// Issue 22's attack planted another jar there. No other user can write these
			// directories now, so root plays the part; a new file, as a rename would make it.
			Path planted = Files.copy(MasterProcess.JAR, extracted.resolveSibling("planted.jar"));
			Files.move(planted, extracted, StandardCopyOption.REPLACE_EXISTING);
			master.signal("HUP");
			JsonNode status = master.awaitStatus("generation 2 ready", (s) -> s.get("generation").asInt() == 2
					&& readyCount(s) == 1 && s.get("workers").size() == 1);
			assertThat(MasterProcess.commandLine(pidOfSlot(status, 0))).as("started cold from the application jar")
				.doesNotContain(archiveOption())
				.doesNotContain(extracted.toString())
				.contains(MasterProcess.JAR.toString());
			assertThat(master.output()).contains("Worker starts cold from " + MasterProcess.JAR)
				.contains(extracted + " changed since the archive was built");
			assertThat(master.get("/whoami").status()).isEqualTo(200);
		}
	}

	@Test
	void theFirstStartServesBeforeTheArchiveExists() throws Exception {
		Path archives = this.temp.resolve("archives");
		// A training run that takes 20 s more than a worker: the first workers must not wait for it.
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--prefork.preload=on",
				"--prefork.preload-dir=" + archives, "--sample.training-delay=20s")) {
			long cold = pidOfSlot(master.awaitReady(1), 0);
			assertThat(master.get("/whoami").status()).isEqualTo(200);
			assertThat(completeArchives(archives)).as("no archive yet while the first worker serves").isZero();
			assertThat(MasterProcess.commandLine(cold)).doesNotContain(archiveOption());

			MasterProcess.await("the archive built in the background", MasterProcess.BOOT,
					() -> output(master).contains("Class-data archive built in"));
			assertThat(completeArchives(archives)).isEqualTo(1);
			MasterProcess.kill("KILL", cold);
			JsonNode respawned = master.awaitStatus("worker respawned",
					(s) -> readyCount(s) == 1 && pidOfSlot(s, 0) != cold);
			assertThat(MasterProcess.commandLine(pidOfSlot(respawned, 0))).as("a later spawn uses the archive")
				.contains(archiveOption() + archiveFile(archives));
		}
	}

	@Test
	@Tag("jdk25") // where the build thread outlived Tomcat's stop and was reported as a leak
	void theBuildRunsAtIdlePriorityAndAStopDuringItEndsTheTrainingRunAndLogsNoLeakedThread() throws Exception {
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--prefork.preload=on",
				"--prefork.preload-dir=" + this.temp.resolve("archives"), "--sample.training-delay=120s")) {
			master.awaitReady(1);
			ProcessHandle[] training = new ProcessHandle[1];
			MasterProcess.await("the training run", MasterProcess.BOOT, () -> {
				training[0] = ProcessHandle.of(master.pid())
					.stream()
					.flatMap(ProcessHandle::children)
					// java itself: before its exec, chrt (which sets the policy first) has the same arguments
					.filter((child) -> child.info().command().orElse("").endsWith("/java")
							&& child.info().commandLine().orElse("").matches(".*-XX:(AOTCacheOutput|ArchiveClassesAtExit)=.*"))
					.findFirst()
					.orElse(null);
				return training[0] != null;
			});
			// While the worker serves, the build takes only CPU time no worker wants, on one processor.
			String[] stat = Files.readString(Path.of("/proc/" + training[0].pid() + "/stat")).replaceFirst(".*\\) ", "")
				.split(" ");
			assertThat(stat[41 - 3]).as("the training run's scheduling policy: SCHED_IDLE").isEqualTo("5");
			assertThat(training[0].info().commandLine().orElse("")).contains("-XX:ActiveProcessorCount=1");
			assertThat(master.output()).contains("at idle priority on one processor while the workers serve");
			master.signal("TERM");
			assertThat(master.awaitExit(MasterProcess.BOOT)).isZero();
			assertThat(training[0].isAlive()).as("the training run outlives its master").isFalse();
			assertThat(master.output()).contains("Stopped building the class-data archive: the master is stopping")
				.doesNotContain("failed to stop it")
				.doesNotContain(" WARN ");
		}
	}

	@Test
	void aFailedTrainingRunLeavesWorkersCold() throws Exception {
		Path archives = this.temp.resolve("archives");
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--prefork.preload=on",
				"--prefork.preload-dir=" + archives, "--sample.fail-in-training=true")) {
			JsonNode status = master.awaitReady(1);
			MasterProcess.await("the training run failed", MasterProcess.BOOT,
					() -> output(master).contains("Could not prepare a class-data archive"));
			assertThat(master.output()).contains("the training run failed with exit code").contains("workers start cold")
				.as("the failure's cause, not the JVM's last class-data warning")
				.contains("IllegalStateException: sample.fail-in-training=true: failing the class-data archive's training run");
			assertThat(MasterProcess.commandLine(pidOfSlot(status, 0))).doesNotContain(archiveOption());
			try (Stream<Path> left = Files.list(archives)) {
				assertThat(left.filter((path) -> !path.getFileName().toString().startsWith(".")))
					.as("no half-built archive left (lock files aside)")
					.isEmpty();
			}
			MasterProcess.Exited build = MasterProcess.runToExit("--prefork.preload=build",
					"--prefork.preload-dir=" + this.temp.resolve("other"), "--sample.fail-in-training=true");
			assertThat(build.code()).as("build-only mode fails when the build fails").isEqualTo(1);
			assertThat(build.output()).contains("no class-data archive was built");
		}
	}

	@Test
	void aDeployedJarGetsItsOwnArchiveWithoutHoldingUpTheReload() throws Exception {
		Path app = Files.copy(MasterProcess.JAR, this.temp.resolve("app.jar"));
		Path archives = this.temp.resolve("archives");
		assertThat(MasterProcess.runToExit(app, "--prefork.preload=build", "--prefork.preload-dir=" + archives).code())
			.isZero();
		try (MasterProcess master = MasterProcess.startJar(app, "--prefork.workers=1", "--prefork.preload=auto",
				"--prefork.preload-dir=" + archives)) {
			long first = pidOfSlot(master.awaitReady(1), 0);
			Path before = archiveFile(archives);
			assertThat(MasterProcess.commandLine(first)).contains(archiveOption() + before);

			deploy(app);
			master.signal("HUP");
			JsonNode reloaded = master.awaitStatus("generation 2 ready",
					(s) -> s.get("generation").asInt() == 2 && readyCount(s) == 1
							&& s.get("workers").get(0).get("generation").asInt() == 2);
			assertThat(MasterProcess.commandLine(pidOfSlot(reloaded, 0))).as("the new jar starts cold while its archive builds")
				.doesNotContain(archiveOption());
			MasterProcess.await("the new jar's archive", MasterProcess.BOOT,
					() -> countOf(output(master), "Class-data archive built in") == 1);

			master.signal("HUP");
			JsonNode again = master.awaitStatus("generation 3 ready",
					(s) -> s.get("generation").asInt() == 3 && readyCount(s) == 1
							&& s.get("workers").get(0).get("generation").asInt() == 3);
			String worker = MasterProcess.commandLine(pidOfSlot(again, 0));
			assertThat(worker).contains(archiveOption()).doesNotContain(before.toString());
		}
	}

	private static long completeArchives(Path archives) throws IOException {
		if (!Files.isDirectory(archives)) {
			return 0;
		}
		try (Stream<Path> found = Files.walk(archives)) {
			return found.filter((path) -> path.getFileName().toString().equals("complete")).count();
		}
	}

	/** A new build of the application: the same jar with one more entry, moved into place. */
	private void deploy(Path app) throws IOException {
		Path next = Files.copy(app, this.temp.resolve("app.jar.next"));
		try (FileSystem zip = FileSystems.newFileSystem(URI.create("jar:" + next.toUri()), Map.of())) {
			Files.writeString(zip.getPath("deployed.txt"), "build 2", StandardCharsets.UTF_8);
		}
		Files.move(next, app, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
	}

	private static void damage(Path archive) throws IOException {
		FileTime modified = Files.getLastModifiedTime(archive);
		byte[] garbage = new byte[(int) Files.size(archive)];
		java.util.Arrays.fill(garbage, (byte) 0x5a);
		archive.toFile().setWritable(true);
		Files.write(archive, garbage);
		Files.setLastModifiedTime(archive, modified);
	}

	private static Path archiveFile(Path archives) throws IOException {
		try (Stream<Path> found = Files.walk(archives)) {
			List<Path> files = found.filter((path) -> path.toString().endsWith(archiveSuffix())).toList();
			assertThat(files).as("one archive in " + archives).hasSize(1);
			return files.get(0);
		}
	}

	private static boolean onJdk24OrLater() {
		try {
			Process version = new ProcessBuilder(MasterProcess.JAVA, "-version").redirectErrorStream(true).start();
			String output = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("version \"(\\d+)").matcher(output);
			return matcher.find() && Integer.parseInt(matcher.group(1)) >= 24;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static final boolean AOT = onJdk24OrLater();

	private static String archiveOption() {
		return AOT ? "-XX:AOTCache=" : "-XX:SharedArchiveFile=";
	}

	private static String archiveSuffix() {
		return AOT ? "app.aot" : "app.jsa";
	}

	private static String output(MasterProcess master) {
		try {
			return master.output();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static int countOf(String text, String part) {
		int count = 0;
		for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
			count++;
		}
		return count;
	}
}
