package dev.prefork.sample;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.prefork.sample.MasterProcess.Stack;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static dev.prefork.sample.MasterProcess.await;
import static dev.prefork.sample.MasterProcess.isPortFree;
import static dev.prefork.sample.MasterProcess.isRunning;
import static dev.prefork.sample.MasterProcess.pidOfSlot;
import static dev.prefork.sample.MasterProcess.pids;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built jar as a real master with real worker JVMs, real signals and real sockets.
 */
@Timeout(300)
@Tag("jdk25")
class PreforkMasterIT {

	@TempDir
	Path temp;

	@ParameterizedTest
	@MethodSource("dev.prefork.sample.MasterProcess#stacks")
	void servesFromWorkersReplacesAKilledOneAndStopsGracefully(Stack stack) throws Exception {
		Path creations = this.temp.resolve("creations");
		Path pidfile = this.temp.resolve("run/master.pid");
		try (MasterProcess master = MasterProcess.start(stack, "--prefork.workers=2", "--sample.creation-log=" + creations,
				"--prefork.pidfile=" + pidfile, "--prefork.timeout=10s")) {
			JsonNode status = master.awaitReady(2);
			Set<Long> workers = pids(status);
			assertThat(workers).hasSize(2).doesNotContain(master.pid());
			assertThat(status.get("pid").asLong()).isEqualTo(master.pid());
			assertThat(pidfile).hasContent(Long.toString(master.pid()));

			Set<Long> answered = new HashSet<>();
			Set<Integer> slots = new HashSet<>();
			for (int i = 0; i < 300 && answered.size() < 2; i++) {
				JsonNode whoami = master.get("/whoami").json();
				answered.add(whoami.get("pid").asLong());
				slots.add(whoami.get("worker").asInt());
			}
			assertThat(answered).isEqualTo(workers);
			assertThat(slots).containsExactlyInAnyOrder(0, 1);
			if (stack.webFlux()) {
				// a functional route answers only through WebFlux: a servlet stack would answer 404
				assertThat(master.get("/hello").body()).isEqualTo("hello");
			}
			assertThat(master.output()).as("the master serves on the application's server")
				.contains(stack.server + " started on port " + master.managementPort);

			long killed = pidOfSlot(status, 1);
			MasterProcess.kill("KILL", killed);
			JsonNode respawned = master.awaitStatus("a new worker in slot 1", (s) -> {
				long pid = pidOfSlot(s, 1);
				return pid != -1 && pid != killed && s.get("workers").size() == 2;
			});
			long replacement = pidOfSlot(respawned, 1);
			master.awaitReady(2);
			assertThat(master.output()).contains("Worker 1 (pid " + killed + ") exited unexpectedly: crash (killed by signal 9)")
				.contains("Booting worker 1 (pid " + replacement + ", generation 1)");

			assertThat(Files.readAllLines(creations)).as("user beans are created in workers only")
				.map(Long::parseLong)
				.doesNotContain(master.pid())
				.containsAll(workers)
				.contains(replacement);

			CompletableFuture<MasterProcess.Response> inflight = CompletableFuture
				.supplyAsync(() -> call(() -> master.get("/sleep?ms=3000")));
			await("the slow request to reach a worker", Duration.ofSeconds(30), () -> call(() -> inflightCount(master)) > 0);
			master.signal("TERM");
			assertThat(inflight.get().status()).as("in-flight request finishes during a graceful stop").isEqualTo(200);
			assertThat(master.awaitExit(Duration.ofSeconds(60))).isZero();
			await("every worker to exit", Duration.ofSeconds(5),
					() -> master.workerPidsSeen().stream().noneMatch(MasterProcess::isRunning));
			assertThat(isPortFree(master.port)).as("port free after stop").isTrue();
			assertThat(pidfile).doesNotExist();
		}
	}

	@ParameterizedTest
	@MethodSource("dev.prefork.sample.MasterProcess#matrix")
	void intStopsQuickly(Stack stack) throws Exception {
		try (MasterProcess master = MasterProcess.start(stack, "--prefork.workers=1", "--prefork.graceful-timeout=60s",
				"--prefork.timeout=10s")) {
			long worker = pidOfSlot(master.awaitReady(1), 0);
			CompletableFuture.runAsync(() -> call(() -> master.get("/sleep?ms=30000")));
			await("the slow request to reach the worker", Duration.ofSeconds(30), () -> call(() -> inflightCount(master)) > 0);
			long start = System.nanoTime();
			master.signal("INT");
			assertThat(master.awaitExit(Duration.ofSeconds(20))).isZero();
			assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no wait for the 30 s request")
				.isLessThan(Duration.ofSeconds(15));
			assertThat(isRunning(worker)).isFalse();
			assertThat(isPortFree(master.port)).isTrue();
		}
	}

	@ParameterizedTest
	@MethodSource("dev.prefork.sample.MasterProcess#matrix")
	void workersExitWhenTheMasterIsKilled(Stack stack) throws Exception {
		try (MasterProcess master = MasterProcess.start(stack, "--prefork.workers=1", "--prefork.graceful-timeout=10s")) {
			Set<Long> workers = pids(master.awaitReady(1));
			master.signal("KILL");
			master.awaitExit(Duration.ofSeconds(10));
			await("orphaned workers to exit", Duration.ofSeconds(10 + 5),
					() -> workers.stream().noneMatch(MasterProcess::isRunning));
			assertThat(isPortFree(master.port)).as("no orphan keeps the port").isTrue();
		}
	}

	@ParameterizedTest
	@MethodSource("dev.prefork.sample.MasterProcess#servers")
	void hungWorkerIsDumpedKilledAndReplaced(Stack stack) throws Exception {
		try (MasterProcess master = MasterProcess.start(stack, "--prefork.workers=1", "--prefork.timeout=10s",
				MasterProcess.TEST_ENDPOINTS)) {
			master.awaitReady(1);
			JsonNode hung = hangAndAwaitItsReplacement(master);
			long pid = hung.get("pid").asLong();
			int slot = hung.get("worker").asInt();
			String output = master.output();
			assertThat(output).contains("Worker " + slot + " (pid " + pid + ") exited: timeout")
				.as("the thread dump is in a file of its own, not in the shared console")
				.doesNotContain("Full thread dump");
			java.util.regex.Matcher dump = java.util.regex.Pattern
				.compile("\\(pid " + pid + "\\) sent no heartbeat .* writing its thread dump to (\\S+), SIGKILL")
				.matcher(output);
			assertThat(dump.find()).as("the dump's file in the log").isTrue();
			Path file = Path.of(dump.group(1));
			try {
				assertThat(Files.readString(file)).contains("Full thread dump").contains("\"Reference Handler\"");
			}
			finally {
				Files.deleteIfExists(file);
			}
			assertThat(Path.of("/tmp/.java_pid" + pid)).as("the killed JVM's attach socket, removed once reaped")
				.doesNotExist();
			master.awaitReady(1);
		}
	}

	/**
	 * Virtual threads (on JDK 21+; JDK 17 ignores the setting): workers that see one processor
	 * of the machine keep a carrier per processor where carriers pin (before JDK 24) and one
	 * per processor they see after, serve a keep-alive load without a missed
	 * heartbeat, and a worker whose carriers are all stuck is still found and replaced.
	 */
	@Test
	void virtualThreadWorkersKeepTheirCarriersServeUnderLoadAndAHungOneIsReplaced() throws Exception {
		int processors = Runtime.getRuntime().availableProcessors();
		try (MasterProcess master = MasterProcess.start("--prefork.workers=" + processors, "--prefork.timeout=10s",
				"--spring.threads.virtual.enabled=true", MasterProcess.TEST_ENDPOINTS)) {
			JsonNode status = master.awaitReady(processors);
			String commandLine = MasterProcess.commandLine(pidOfSlot(status, 0));
			assertThat(MasterProcess.arguments(pidOfSlot(status, 0)).get(1)).as("what tells a worker from the master in ps")
				.isEqualTo("-Dprefork.worker.slot=0");
			assertThat(MasterProcess.commandLine(master.pid())).doesNotContain("prefork.worker.slot");
			if (processors > 1) {
				assertThat(commandLine).contains("-XX:ActiveProcessorCount=1");
				if (MasterProcess.javaFeature() < 24) {
					assertThat(commandLine).as("carriers pin before JDK 24: one per processor of the machine")
						.contains("-Djdk.virtualThreadScheduler.parallelism=" + processors);
				}
				else {
					assertThat(commandLine).as("a carrier per processor of the worker's share")
						.doesNotContain("virtualThreadScheduler.parallelism");
				}
			}
			try (KeepAliveLoad load = KeepAliveLoad.start(master.port(), 16)) {
				long target = load.answered() + 2000;
				MasterProcess.await("2000 answers", Duration.ofSeconds(120), () -> load.answered() >= target);
				load.close();
				assertThat(load.failures()).isEmpty();
			}
			assertThat(master.output()).doesNotContain("sent no heartbeat");
			hangAndAwaitItsReplacement(master);
			master.awaitReady(processors);
		}
	}

	/** Hangs the worker that takes {@code POST /hang}; waits until the master replaced it for its silence. */
	private static JsonNode hangAndAwaitItsReplacement(MasterProcess master) throws Exception {
		JsonNode hung = master.post("/hang").json();
		long pid = hung.get("pid").asLong();
		int slot = hung.get("worker").asInt();
		master.awaitStatus("a new worker in slot " + slot, (s) -> {
			long current = pidOfSlot(s, slot);
			return current != -1 && current != pid;
		});
		assertThat(master.output()).contains("Worker " + slot + " (pid " + pid + ") sent no heartbeat for");
		return hung;
	}

	@Test
	void workersGetOnlyTheirDescriptorsAndDefaultSignalsEvenUnderNohup() throws Exception {
		// As under nohup: HUP ignored in the master's parent, and so in the master.
		List<String> nohup = List.of("sh", "-c", "trap '' HUP; exec \"$@\"", "sh");
		try (MasterProcess master = MasterProcess.start(nohup, "--prefork.workers=1")) {
			long worker = pidOfSlot(master.awaitReady(1), 0);
			Map<Integer, String> workerFds = descriptors(worker);
			Set<String> masterEnds = descriptors(master.pid()).values()
				.stream()
				.filter((target) -> target.startsWith("socket:") || target.startsWith("pipe:"))
				.collect(Collectors.toSet());
			// The JDK may open more descriptors on these (inheritedChannel, /proc/self/fd/N): compare objects, not numbers.
			Set<String> sharedWithMaster = workerFds.values()
				.stream()
				.filter(masterEnds::contains)
				.collect(Collectors.toSet());
			assertThat(sharedWithMaster).as("listening socket on 0, channel pipes on 3 and 4, nothing else")
				.containsExactlyInAnyOrder(workerFds.get(0), workerFds.get(3), workerFds.get(4));
			assertThat(workerFds.get(0)).startsWith("socket:");
			assertThat(workerFds.get(3)).startsWith("pipe:");
			assertThat(workerFds.get(4)).startsWith("pipe:");
			long ignored = statusMask(worker, "SigIgn");
			assertThat(ignored & 1).as("SIGHUP not ignored in the worker").isZero();
			assertThat(statusMask(worker, "SigBlk")).isZero();
			assertThat(master.output()).contains("SIGHUP was ignored when the master started (nohup?); resetting it");
			// prefork.worker.ready-nice (10): every thread of a ready worker but its JIT compilers, none of the master's.
			int masterNice = nice(master.pid(), master.pid());
			assertThat(threadNices(worker, false)).as("the ready worker's threads").containsOnly(Math.min(19, masterNice + 10));
			assertThat(threadNices(worker, true)).as("its JIT compiler threads").containsOnly(masterNice);
			assertThat(threadNices(master.pid(), false)).as("the master's threads").containsOnly(masterNice);
		}
	}

	/** The nice value of each thread of {@code pid}: its JIT compiler threads, or all the others. */
	private static Set<Integer> threadNices(long pid, boolean compilers) throws Exception {
		Set<Integer> nices = new HashSet<>();
		try (Stream<Path> threads = Files.list(Path.of("/proc/" + pid + "/task"))) {
			for (Path thread : threads.toList()) {
				if (Files.readString(thread.resolve("comm")).contains("CompilerThre") == compilers) {
					nices.add(nice(pid, Long.parseLong(thread.getFileName().toString())));
				}
			}
		}
		return nices;
	}

	/** Field 19 of /proc/PID/task/TID/stat, counting from the pid; the command name may hold spaces. */
	private static int nice(long pid, long tid) throws Exception {
		String stat = Files.readString(Path.of("/proc/" + pid + "/task/" + tid + "/stat"));
		return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]);
	}

	/** In-flight requests as the workers' heartbeats report them. */
	private static int inflightCount(MasterProcess master) throws Exception {
		int inflight = 0;
		for (JsonNode worker : master.status().get("workers")) {
			inflight += worker.get("inflight").asInt();
		}
		return inflight;
	}

	private static Map<Integer, String> descriptors(long pid) throws Exception {
		Map<Integer, String> descriptors = new TreeMap<>();
		try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
			for (Path fd : fds.toList()) {
				try {
					descriptors.put(Integer.parseInt(fd.getFileName().toString()), Files.readSymbolicLink(fd).toString());
				}
				catch (java.nio.file.NoSuchFileException ex) {
					// closed while listing
				}
			}
		}
		return descriptors;
	}

	private static long statusMask(long pid, String field) throws Exception {
		return Files.readAllLines(Path.of("/proc/" + pid + "/status"))
			.stream()
			.filter((line) -> line.startsWith(field + ":"))
			.map((line) -> Long.parseUnsignedLong(line.substring(field.length() + 1).trim(), 16))
			.findFirst()
			.orElseThrow();
	}

	interface ThrowingSupplier<T> {

		T get() throws Exception;

	}

	static <T> T call(ThrowingSupplier<T> supplier) {
		try {
			return supplier.get();
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

}
