package dev.prefork.preload;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import dev.prefork.os.JvmCommandLine;
import dev.prefork.protocol.MasterOnlyEnvironment;
import dev.prefork.protocol.WorkerEnvironment;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The JVMs that build a class-data archive in its directory: the fat jar extracted
 * ({@code -Djarmode=tools extract}), one training run of the application with the JVM's dump
 * option, and a JVM that must map the result. Each runs as a training run
 * ({@code PREFORK_ROLE=training}) without the master's secrets, its output appended to a log
 * in the archive's directory. Which archive to build, and when, is {@link ClassDataArchive}'s.
 */
final class ArchiveBuilder {

	private static final Log logger = LogFactory.getLog(ArchiveBuilder.class);

	/** Options that must not reach the training run: a debugger port would be taken twice. */
	private static final List<String> NOT_FOR_TRAINING = List.of("-agentlib:jdwp", "-Xrunjdwp", "-Xdebug");

	/** An exception as a stack trace starts, or its cause. */
	private static final Pattern EXCEPTION = Pattern.compile("(Caused by: )?[\\w.$]+(Exception|Error)(: .*)?");

	/** Checking an archive is starting a JVM that maps it and prints its version. */
	static final Duration CHECK_TIMEOUT = Duration.ofSeconds(60);

	/**
	 * At idle priority a step's timeout counts the CPU time it got; it may wait this many
	 * times the timeout for it (a hung step uses none) before it is given up.
	 */
	static final int IDLE_WAIT_FACTOR = 10;

	private final JvmCommandLine master;

	private final Path applicationJar;

	private final int javaFeature;

	private final Duration buildTimeout;

	/** How a step is put at idle priority, found on first use; empty where nothing can. */
	private volatile List<String> idleScheduler;

	/**
	 * A builder for the archives of one application jar on this JVM.
	 * @param master the master's command line without its secrets, which the training run copies
	 * @param applicationJar the fat jar the master was started with
	 * @param javaFeature the JDK feature version the archive is for
	 * @param buildTimeout the longest the extraction and the training run may take, each
	 */
	ArchiveBuilder(JvmCommandLine master, Path applicationJar, int javaFeature, Duration buildTimeout) {
		this.master = master;
		this.applicationJar = applicationJar;
		this.javaFeature = javaFeature;
		this.buildTimeout = buildTimeout;
	}

	/** The JVM options: everything between argv[0] and {@code -jar}. */
	static List<String> jvmOptions(JvmCommandLine command) {
		int index = command.argv().indexOf("-jar");
		return command.argv().subList(1, (index > 0) ? index : command.argv().size());
	}

	/**
	 * Builds the archive in its (empty) directory, complete once its marker file exists.
	 * @param trainingEnvironment more environment for the training run
	 * @param idle whether workers serve meanwhile: then every step runs at idle priority on one
	 * processor, so that the build takes only CPU time no worker wants
	 * @throws IOException if a step fails, with the step and the build log
	 */
	void build(Archive archive, Map<String, String> trainingEnvironment, boolean idle) throws IOException {
		long started = System.nanoTime();
		logger.info("Building the class-data archive for " + this.applicationJar.getFileName() + " on JDK "
				+ this.javaFeature + " (once per jar and JVM) in " + archive.home()
				+ (idle ? ", at idle priority on one processor while the workers serve" : ""));
		Path log = archive.home().resolve("build.log");
		if (archive.extracts()) {
			run("extract", List.of(this.master.executable(), "-Djarmode=tools", "-jar", this.applicationJar.toString(),
					"extract", "--destination", archive.home().resolve(Archive.APPLICATION).toString()), Map.of(), log,
					this.buildTimeout, idle);
		}
		run("training run", trainingCommand(archive), trainingEnvironment, log, this.buildTimeout, idle);
		if (!Files.isRegularFile(archive.file()) || Files.size(archive.file()) == 0) {
			throw new IOException("the training run wrote no archive (see " + log + ")");
		}
		check(archive, log, idle);
		archive.withoutGroupOrOthersWrite();
		long digesting = System.nanoTime();
		ArchiveDigests.of(archive.home(), archive.digested()).write();
		logger.info(String.format("Recorded the SHA-256 digests of the class-data archive and the extracted application "
				+ "in %s (%.0f ms); every worker start checks them", archive.home().resolve(ArchiveDigests.FILE),
				(System.nanoTime() - digesting) / 1e6));
		Files.createFile(archive.marker());
		logger.info(String.format("Class-data archive built in %.1f s: %s (%d MiB); workers start with it",
				(System.nanoTime() - started) / 1e9, archive.file(), Files.size(archive.file()) >> 20));
	}

	/**
	 * Starts a JVM that must map the archive.
	 * @param log where its output goes
	 * @param idle at idle priority, as while workers serve
	 * @throws IOException if it cannot, with the last line it printed
	 */
	void check(Archive archive, Path log, boolean idle) throws IOException {
		run("check", archive.checkCommand(this.master.executable(), this.javaFeature), Map.of(), log, CHECK_TIMEOUT,
				idle);
	}

	private List<String> trainingCommand(Archive archive) {
		List<String> command = new ArrayList<>();
		command.add(this.master.executable());
		for (String option : jvmOptions(this.master)) {
			if (NOT_FOR_TRAINING.stream().noneMatch(option::startsWith)) {
				command.add(option);
			}
		}
		command.add((this.javaFeature >= 24) ? "-XX:AOTCacheOutput=" + archive.file()
				: "-XX:ArchiveClassesAtExit=" + archive.file());
		command.add("-jar");
		command.add(archive.jar().toString());
		int jar = this.master.argv().indexOf("-jar");
		command.addAll(this.master.argv().subList(jar + 2, this.master.argv().size()));
		return command;
	}

	/**
	 * Runs a JVM for the build with its output appended to the build log. At idle priority its
	 * timeout counts the CPU time it got, not the time it waited for the workers' processors.
	 */
	private void run(String step, List<String> command, Map<String, String> more, Path log, Duration timeout,
			boolean idle) throws IOException {
		List<String> full = idle ? atIdlePriority(command, idleScheduler()) : command;
		Files.writeString(log, "$ " + String.join(" ", full) + "\n", StandardCharsets.UTF_8,
				StandardOpenOption.CREATE, StandardOpenOption.APPEND);
		ProcessBuilder builder = new ProcessBuilder(full).redirectErrorStream(true)
			.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
			.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
		Map<String, String> environment = builder.environment();
		environment.put(WorkerEnvironment.ROLE, WorkerEnvironment.ROLE_TRAINING);
		MasterOnlyEnvironment.removeForWorker(environment);
		this.master.removeMasterSecrets(environment);
		environment.putAll(more);
		Process process = builder.start();
		try {
			String overdue = idle ? awaitAtIdlePriority(process, timeout) : await(process, timeout);
			if (overdue != null) {
				process.destroyForcibly().waitFor();
				throw new IOException("the " + step + " " + overdue + " (see " + log + ")");
			}
		}
		catch (InterruptedException ex) {
			try {
				process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
			}
			catch (InterruptedException again) {
				// stopping anyway: the process was killed
			}
			Thread.currentThread().interrupt();
			throw new IOException("interrupted during the " + step, ex);
		}
		if (process.exitValue() != 0) {
			throw new IOException("the " + step + " failed with exit code " + process.exitValue() + ": "
					+ lastLine(log) + " (see " + log + ")");
		}
	}

	/** Waits for a step; why it was given up, or null once it exited. */
	private static String await(Process process, Duration timeout) throws InterruptedException {
		return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? null
				: "took longer than " + timeout.toSeconds() + " s";
	}

	/** Waits for a step at idle priority; why it was given up, or null once it exited. */
	private static String awaitAtIdlePriority(Process process, Duration timeout) throws InterruptedException {
		long waitUntil = System.nanoTime() + timeout.multipliedBy(IDLE_WAIT_FACTOR).toNanos();
		while (!process.waitFor(1, TimeUnit.SECONDS)) {
			if (process.info().totalCpuDuration().orElse(Duration.ZERO).compareTo(timeout) > 0) {
				return "used more than " + timeout.toSeconds() + " s of CPU";
			}
			if (System.nanoTime() - waitUntil > 0) {
				return "took longer than " + timeout.multipliedBy(IDLE_WAIT_FACTOR).toSeconds()
						+ " s at idle priority (the workers kept the processors busy, or it hung)";
			}
		}
		return null;
	}

	/**
	 * A build step's command at idle priority on one processor: the scheduler's command in front
	 * ({@code chrt --idle 0} or {@code nice -n 19}, which keep the policy across exec and for
	 * every thread the JVM starts), and {@code -XX:ActiveProcessorCount=1} last among the JVM's
	 * options (the last one wins), so that its compiler and GC threads are sized for one.
	 */
	static List<String> atIdlePriority(List<String> command, List<String> scheduler) {
		List<String> idle = new ArrayList<>(scheduler);
		idle.addAll(command);
		int jar = idle.indexOf("-jar");
		idle.add((jar > 0) ? jar : scheduler.size() + 1, "-XX:ActiveProcessorCount=1");
		return idle;
	}

	/**
	 * SCHED_IDLE with util-linux's chrt, else nice 19, whichever works here (an image may have
	 * neither, a seccomp profile may refuse SCHED_IDLE); none: normal priority. Each is tried on
	 * itself ({@code chrt --idle 0 chrt --version}): a few milliseconds of CPU, which a busy
	 * machine gives an idle process too, where a JVM would wait for seconds.
	 */
	private List<String> idleScheduler() {
		List<String> scheduler = this.idleScheduler;
		if (scheduler == null) {
			scheduler = List.of();
			for (List<String> candidate : List.of(List.of("chrt", "--idle", "0"), List.of("nice", "-n", "19"))) {
				if (runs(candidate)) {
					scheduler = candidate;
					break;
				}
			}
			if (scheduler.isEmpty()) {
				logger.info("Class-data archives are built at normal priority: neither chrt --idle nor nice works here");
			}
			this.idleScheduler = scheduler;
		}
		return scheduler;
	}

	private static boolean runs(List<String> scheduler) {
		List<String> command = new ArrayList<>(scheduler);
		command.addAll(List.of(scheduler.get(0), "--version"));
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(ProcessBuilder.Redirect.DISCARD)
				.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
				.start();
			if (process.waitFor(CHECK_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
				return process.exitValue() == 0;
			}
			process.destroyForcibly();
			return false;
		}
		catch (IOException ex) {
			return false; // not on the PATH
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	/**
	 * The line of the build log that says best why a step failed: the last exception (a
	 * {@code Caused by:} line is the root cause), else the last line that is not one of the
	 * JVM's class-data warnings ({@code [cds]}, {@code [aot]}), which a failed training run
	 * prints last whatever made it fail.
	 */
	static String lastLine(Path log) {
		try {
			List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
			String last = null;
			for (int i = lines.size() - 1; i >= 0; i--) {
				String line = lines.get(i).trim();
				if (EXCEPTION.matcher(line).matches()) {
					return line;
				}
				if (last == null && !line.isEmpty() && !line.contains("[cds") && !line.contains("[aot")) {
					last = line;
				}
			}
			return (last != null) ? last : "no output";
		}
		catch (IOException ex) {
			return "no output"; // the log itself is named in the message
		}
	}

}
