package dev.prefork.sample;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

import static dev.prefork.sample.MasterProcess.await;
import static dev.prefork.sample.MasterProcess.isRunning;
import static dev.prefork.sample.MasterProcess.pids;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real master in a real 1 GiB memory cgroup, as in a container: workers sized for it,
 * worker counts that do not fit refused, a worker the kernel's OOM killer ends named as such,
 * a worker above prefork.max-worker-memory replaced, one above prefork.max-worker-memory-kill killed.
 */
@Timeout(300)
class MemoryBudgetIT {

	private static final long GIB = 1024L * 1024 * 1024;

	private static final String SCALE = "/actuator/prefork/scale";

	@Test
	void workersAreSizedForTheCgroupAndAnOomKillIsNamed() throws Exception {
		try (MemoryCgroupFixture cgroup = MemoryCgroupFixture.create(GIB);
				MasterProcess master = MasterProcess.start(cgroup.prefix(), "--prefork.workers=2",
						"--prefork.worker.jvm-args=-XX:MaxDirectMemorySize=2g", MasterProcess.TEST_ENDPOINTS)) {
			JsonNode status = master.awaitReady(2);
			// min(75 % of 1024 MiB / 2, (1024 - 200 master - 2 × 200 non-heap) / 2) = 212 MiB
			assertThat(status.get("memory").get("limitBytes").asLong()).isEqualTo(GIB);
			assertThat(status.get("memory").get("source").asString()).startsWith("cgroup ").endsWith("memory.limit_in_bytes");
			assertThat(status.get("memory").get("workerHeapBytes").asLong()).isEqualTo(212L << 20);
			for (long pid : pids(status)) {
				List<String> argv = cmdline(pid);
				assertThat(argv).filteredOn((arg) -> arg.startsWith("-Xmx")).containsExactly("-Xmx212m");
				assertThat(argv).contains("-XX:ActiveProcessorCount=" + Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
				assertThat(MasterProcess.environment(pid)).contains("PREFORK_REQUEST_THREADS_MAX=100");
			}
			assertThat(master.output()).contains("Sizing workers: memory limit 1024 MiB (cgroup ");

			MasterProcess.Response refused = master.control(SCALE, "{\"workers\":4}");
			assertThat(refused.status()).as(refused.body()).isEqualTo(400);
			assertThat(refused.json().get("message").asString())
				.startsWith("cannot scale to 4 workers: 4 workers do not fit the memory limit of 1024 MiB");

			// 3 fit: (1024 - 200 - 3 × 200) / 3 = 74 MiB each; the larger workers are replaced one by one
			Set<Long> larger = pids(status);
			MasterProcess.Response scaled = master.control(SCALE, "{\"workers\":3}");
			assertThat(scaled.status()).as(scaled.body()).isEqualTo(202);
			status = master.awaitStatus("3 ready workers of 74 MiB", (s) -> s.get("workers").size() == 3
					&& java.util.stream.StreamSupport.stream(s.get("workers").spliterator(), false)
						.allMatch((w) -> w.get("state").asString().equals("ready") && w.get("maxHeapBytes").asLong() == 74L << 20));
			assertThat(pids(status)).doesNotContainAnyElementsOf(larger);
			assertThat(master.output()).contains("exited: resized");

			long before = cgroup.oomKills();
			long allocator = allocateUntilKilled(master.port);
			master.awaitLog("(pid " + allocator + ") exited unexpectedly: oom_killed (killed by signal 9)");
			assertThat(cgroup.oomKills()).isGreaterThan(before);
			assertThat(master.isAlive()).isTrue();
			master.awaitReady(3);
			String metrics = MasterProcess.get(master.managementPort, "/actuator/prometheus").body();
			assertThat(metrics).contains("prefork_worker_exits_total{reason=\"oom_killed\"}")
				.contains("prefork_memory_limit_bytes " + (double) GIB)
				.contains("prefork_worker_heap_max_bytes{worker=\"0\"} " + (double) (74L << 20));
		}
	}

	/**
	 * 100 MiB at a time on one connection, so one worker, until the connection breaks: the
	 * pid of the worker that allocated, which the kernel must be the one to kill.
	 */
	private static long allocateUntilKilled(int port) throws Exception {
		long pid = -1;
		try (java.net.Socket socket = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
			socket.setSoTimeout(60_000);
			// ISO-8859-1: one char per byte, so Content-Length counts chars
			java.io.BufferedReader in = new java.io.BufferedReader(
					new java.io.InputStreamReader(socket.getInputStream(), java.nio.charset.StandardCharsets.ISO_8859_1));
			for (int i = 0; i < 40; i++) {
				socket.getOutputStream()
					.write(("POST /allocate?mib=100 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
						.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
				int length = -1;
				for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
					if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
						length = Integer.parseInt(line.substring(15).trim());
					}
				}
				if (length < 0) {
					break; // the connection closed: the worker is gone
				}
				char[] body = new char[length];
				for (int read = 0; read < length;) {
					int more = in.read(body, read, length - read);
					if (more < 0) {
						throw new java.io.EOFException("the connection closed in an answer");
					}
					read += more;
				}
				pid = new tools.jackson.databind.json.JsonMapper().readTree(new String(body)).get("pid").asLong();
			}
		}
		catch (java.io.IOException ex) {
			// the worker holding the connection was killed
		}
		assertThat(pid).as("the worker that allocated answered at least once").isPositive();
		return pid;
	}

	/**
	 * prefork.memory.limit above the container's limit is the user's to choose, with a warning;
	 * a worker above prefork.max-worker-memory-kill is killed at once, not replaced.
	 */
	@Test
	void aLimitAboveTheCgroupsIsWarnedAndAWorkerAboveTheKillLimitIsKilled() throws Exception {
		try (MemoryCgroupFixture cgroup = MemoryCgroupFixture.create(2 * GIB);
				MasterProcess master = MasterProcess.start(cgroup.prefix(), "--prefork.workers=1",
						"--prefork.memory.limit=3GB", "--prefork.max-worker-memory-kill=500MB",
						"--prefork.worker.jvm-args=-XX:MaxDirectMemorySize=1g", MasterProcess.TEST_ENDPOINTS)) {
			JsonNode status = master.awaitReady(1);
			long first = pids(status).iterator().next();
			assertThat(status.get("memory").get("limitBytes").asLong()).isEqualTo(3 * GIB);
			assertThat(master.output()).contains("prefork.memory.limit (3072 MiB) is above the limit of cgroup ")
				.contains("(2048 MiB): the kernel will kill workers before the master's budget is used up");

			assertThat(master.post("/allocate?mib=400").status()).isEqualTo(200);
			master.awaitLog("(pid " + first + ") uses ");
			master.awaitLog("of resident memory, above prefork.max-worker-memory-kill (500 MiB); killing it");
			await("the worker above the limit to be killed", Duration.ofSeconds(60), () -> !isRunning(first));
			master.awaitLog("Worker 0 (pid " + first + ") exited: memory");
			assertThat(master.output()).doesNotContain("replacing it");
			master.awaitReady(1);
		}
	}

	@Test
	void aHeapOptionOfTheUsersIsLeftAloneAndChecked() throws Exception {
		MasterProcess.Exited tooBig;
		try (MemoryCgroupFixture cgroup = MemoryCgroupFixture.create(GIB)) {
			try (MasterProcess master = MasterProcess.start(cgroup.prefix(), "--prefork.workers=2",
					"--prefork.worker.jvm-args=-Xmx300m")) {
				assertThat(master.awaitExit(MasterProcess.BOOT)).isEqualTo(1);
				assertThat(master.output()).contains("The workers do not fit in memory: 2 workers with -Xmx300m need 1200 MiB")
					.contains("Lower prefork.workers");
			}
			try (MasterProcess master = MasterProcess.start(cgroup.prefix(), "--prefork.workers=1",
					"--prefork.worker.jvm-args=-Xmx300m -XX:MaxDirectMemorySize=1g", "--prefork.max-worker-memory=450MB",
					MasterProcess.TEST_ENDPOINTS)) {
				JsonNode status = master.awaitReady(1);
				long first = pids(status).iterator().next();
				assertThat(cmdline(first)).filteredOn((arg) -> arg.startsWith("-Xmx")).containsExactly("-Xmx300m");
				assertThat(status.get("memory").get("heapSetBy").asString()).isEqualTo("user");
				MasterProcess.Response refused = master.control(SCALE, "{\"delta\":1}");
				assertThat(refused.status()).as(refused.body()).isEqualTo(400);
				assertThat(refused.json().get("message").asString()).contains("2 workers with -Xmx300m need 1200 MiB");

				assertThat(master.post("/allocate?mib=400").status()).isEqualTo(200);
				master.awaitLog("of resident memory, above prefork.max-worker-memory (450 MiB); replacing it");
				await("the worker above the limit to be replaced", Duration.ofSeconds(120), () -> !isRunning(first));
				// the master logs the exit once it reaped the worker, a moment after the pid is gone
				master.awaitLog("Worker 0 (pid " + first + ") exited: memory");
				master.awaitReady(1);
			}
		}
	}

	private static List<String> cmdline(long pid) throws java.io.IOException {
		return Arrays.asList(Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0"));
	}

}
