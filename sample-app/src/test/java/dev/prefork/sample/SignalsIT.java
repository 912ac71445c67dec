package dev.prefork.sample;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static dev.prefork.sample.MasterProcess.await;
import static dev.prefork.sample.MasterProcess.call;
import static dev.prefork.sample.MasterProcess.isRunning;
import static dev.prefork.sample.MasterProcess.pidOfSlot;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * HUP, TTIN, TTOU, USR1 and WINCH sent with {@code kill} to a real master.
 */
@Timeout(300)
class SignalsIT {

	@TempDir
	Path temp;

	/**
	 * A HUP reads the configuration again and replaces every worker. What a reload cannot apply
	 * it says so and keeps: the listening socket with the backlog it was bound with (a reload
	 * that changes only the backlog), a start-only setting. Along the way: prefork.backlog
	 * reaches the socket, workers without warm-up take requests at once, and a TTIN beyond
	 * prefork.max-workers is refused.
	 */
	@Test
	void hupReadsTheConfigurationAgainAndReplacesEveryWorker() throws Exception {
		MasterProcess.installTestTools(); // ss
		Path config = this.temp.resolve("prefork.properties");
		String kept = "prefork.max-workers=2\nprefork.warmup.enabled=false\n";
		Files.writeString(config, kept + "prefork.workers=1\nprefork.backlog=37\n");
		try (MasterProcess master = MasterProcess.start("--spring.config.additional-location=file:" + config)) {
			long first = pidOfSlot(master.awaitReady(1), 0);
			assertThat(acceptQueueLimit(master.port)).as("the listening socket's backlog").isEqualTo(37);
			assertThat(master.output()).doesNotContain("warming up before it takes requests").doesNotContain("Warmed up");

			Files.writeString(config, kept + "prefork.workers=1\nprefork.backlog=38\n");
			master.signal("HUP");
			// the table lists a draining worker until it is reaped: one worker left is the new one
			master.awaitStatus("generation 2 alone", (s) -> s.get("generation").asInt() == 2
					&& s.get("state").asString().equals("running") && readyOfGeneration(s, 2) == 1
					&& s.get("workers").size() == 1);
			await("the first worker gone", Duration.ofSeconds(10), () -> !isRunning(first));
			assertThat(master.output()).contains("prefork.backlog changed from 37 to 38: the listening socket is kept");
			assertThat(acceptQueueLimit(master.port)).as("the same socket, the same backlog").isEqualTo(37);

			Files.writeString(config, kept + "prefork.workers=2\nprefork.backlog=38\nprefork.subreaper=true\n");
			master.signal("HUP");
			JsonNode status = master.awaitStatus("generation 3 alone with 2 ready workers", (s) -> s.get("generation")
				.asInt() == 3 && s.get("state").asString().equals("running") && readyOfGeneration(s, 3) == 2
					&& s.get("workers").size() == 2);
			assertThat(status.get("lastReload").get("result").asString()).isEqualTo("succeeded");
			assertThat(master.get("/whoami").json().get("generation").asInt()).isEqualTo(3);
			assertThat(master.output()).contains("Reloading (source: signal): starting generation 3 with 2 workers, rolling")
				.contains("prefork.subreaper changed: a reload does not apply it; it takes effect at the next start")
				.doesNotContain("Warmed up");

			master.signal("TTIN");
			master.awaitLog("cannot scale to 3 workers: the range is 1 to 2 (prefork.max-workers); still 2");
			assertThat(master.status().get("targetWorkers").asInt()).isEqualTo(2);
		}
	}

	/** The accept queue limit of the socket listening on a port, as the kernel reports it (ss's Send-Q). */
	private static int acceptQueueLimit(int port) throws Exception {
		MasterProcess.Ran ss = MasterProcess.run(Duration.ofSeconds(30), null, "ss", "-ltnH", "sport = :" + port);
		assertThat(ss.code()).as(ss.output()).isZero();
		String[] fields = ss.output().strip().split("\\s+");
		assertThat(ss.output().strip().lines()).as("one socket listening on " + port + ": " + ss.output()).hasSize(1);
		return Integer.parseInt(fields[2]);
	}

	@Test
	void hupWithAChangedServerPortMovesTheWorkersToTheNewPort() throws Exception {
		int before = MasterProcess.freePort();
		int after = MasterProcess.freePort();
		Path config = this.temp.resolve("port.properties");
		Files.writeString(config, "test.port=" + before + "\n");
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--server.port=${test.port}",
				"--spring.config.additional-location=file:" + config)) {
			master.awaitReady(1);
			assertThat(MasterProcess.get(before, "/whoami").status()).isEqualTo(200);
			Files.writeString(config, "test.port=" + after + "\n");
			master.signal("HUP");
			master.awaitStatus("generation 2 ready", (s) -> s.get("generation").asInt() == 2
					&& lastReload(s, "result").equals("succeeded") && s.get("workers").size() == 1);
			assertThat(MasterProcess.get(after, "/whoami").json().get("generation").asInt()).isEqualTo(2);
			await("the old port to be closed", Duration.ofSeconds(60), () -> MasterProcess.isPortFree(before));
			assertThat(master.output()).contains("Closing listening socket");
		}
	}

	@Test
	void brokenDeployIsAbortedAndTheOldWorkersKeepServing() throws Exception {
		Path broken = this.temp.resolve("broken");
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--sample.fail-on-start-file=" + broken)) {
			long old = pidOfSlot(master.awaitReady(1), 0);
			Files.createFile(broken);
			master.signal("HUP");
			JsonNode status = master.awaitStatus("the reload to fail",
					(s) -> lastReload(s, "result").equals("failed"));
			assertThat(status.get("lastReload").get("message").asString())
				.contains("reload to generation 2 aborted")
				.contains("failed to boot (exit code 3");
			assertThat(status.get("generation").asInt()).isEqualTo(1);
			assertThat(pidOfSlot(status, 0)).isEqualTo(old);
			assertThat(master.get("/whoami").json().get("pid").asLong()).isEqualTo(old);

			Files.delete(broken);
			master.signal("HUP");
			master.awaitStatus("the fixed deploy to succeed", (s) -> s.get("generation").asInt() == 2
					&& lastReload(s, "result").equals("succeeded"));
		}
	}

	@Test
	void aStormOfHupsRunsAtMostOneReloadAfterTheRunningOne() throws Exception {
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1")) {
			master.awaitReady(1);
			for (int i = 0; i < 50; i++) {
				master.signal("HUP");
			}
			JsonNode settled = master.awaitStatus("the reloads to settle", (s) -> s.get("state").asString().equals("running")
					&& lastReload(s, "generation").equals(s.get("generation").asString())
					&& readyOfGeneration(s, s.get("generation").asInt()) == 1 && s.get("workers").size() == 1);
			assertThat(settled.get("generation").asInt()).isBetween(2, 3);
			assertThat(master.output().split("Reloading \\(source: signal\\)", -1).length - 1).isBetween(1, 2);
			assertThat(master.isAlive()).isTrue();
		}
	}

	@Test
	void ttinAddsAWorkerAndTtouRemovesTheOneInTheHighestSlot() throws Exception {
		// without sizing, which would also replace the first worker by one with a smaller heap
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--prefork.memory.size-workers=false")) {
			long first = pidOfSlot(master.awaitReady(1), 0);
			master.signal("TTIN");
			long added = pidOfSlot(master.awaitReady(2), 1);
			master.signal("TTOU");
			JsonNode status = master.awaitReady(1);
			assertThat(pidOfSlot(status, 0)).isEqualTo(first);
			await("the removed worker to exit", Duration.ofSeconds(60), () -> !isRunning(added));
			assertThat(master.output()).contains("Scaling from 1 to 2 workers (source: signal)")
				.contains("Scaling from 2 to 1 workers (source: signal)")
				.contains("Worker 1 (pid " + added + ") exited: scale_down");
		}
	}

	@Test
	void usr1ReopensTheLogFilesOfTheMasterAndEveryWorker() throws Exception {
		Path log = this.temp.resolve("app.log");
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--logging.file.name=" + log)) {
			long worker = pidOfSlot(master.awaitReady(1), 0);
			Path rotated = this.temp.resolve("app.log.1");
			Files.move(log, rotated);
			master.signal("USR1");
			await("the master and the worker to write to a new " + log, Duration.ofSeconds(30), () -> {
				try {
					String content = Files.exists(log) ? Files.readString(log) : "";
					return content.contains(" " + master.pid() + " --- ") && content.contains(" " + worker + " --- ")
							&& content.contains("Reopened");
				}
				catch (java.io.IOException ex) {
					return false;
				}
			});
			assertThat(rotated).content().doesNotContain("Reopened");
		}
	}

	@Test
	void workerThatServedMaxRequestsIsReplaced() throws Exception {
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--prefork.max-requests=20",
				"--prefork.timeout=8s")) {
			long old = pidOfSlot(master.awaitReady(1), 0);
			for (int i = 0; i < 25; i++) {
				assertThat(master.get("/whoami").status()).isEqualTo(200);
			}
			master.awaitStatus("a new worker in slot 0", (s) -> {
				long pid = pidOfSlot(s, 0);
				return pid != old && pid != -1 && s.get("workers").size() == 1
						&& s.get("workers").get(0).get("state").asString().equals("ready");
			});
			assertThat(master.output()).contains("(pid " + old + ") served")
				.contains("(limit 20); recycling it")
				.contains("Worker 0 (pid " + old + ") exited: max_requests");
		}
	}

	/**
	 * prefork.max-worker-lifetime: each worker is replaced once it has run that long plus its
	 * draw of the jitter, one at a time and only once its successor is ready, so a keep-alive
	 * load sees no failure.
	 */
	@Test
	void workersPastTheirLifetimeAreReplacedOneAtATimeWithoutAFailedRequest() throws Exception {
		try (MasterProcess master = MasterProcess.start("--prefork.workers=2", "--prefork.max-worker-lifetime=12s",
				"--prefork.max-worker-lifetime-jitter=6s")) {
			Set<Long> first = MasterProcess.pids(master.awaitReady(2));
			try (KeepAliveLoad load = KeepAliveLoad.start(master.port(), 4)) {
				await("both first workers recycled by age", MasterProcess.BOOT, () -> call(() -> {
					String output = master.output();
					return first.stream().allMatch((pid) -> output.contains("(pid " + pid + ") exited: lifetime"));
				}));
				long answered = load.answered();
				await("answers after the recycles", Duration.ofSeconds(30), () -> load.answered() > answered + 100);
				load.close();
				assertThat(load.failures()).as("failed requests out of " + load.answered()).isEmpty();
			}
			String output = master.output();
			String recycling = "(prefork.max-worker-lifetime 12.0 s and its jitter); recycling it";
			int firstRecycle = output.indexOf(recycling);
			int successorReady = output.indexOf("Booted worker", firstRecycle);
			assertThat(firstRecycle).isNotNegative();
			assertThat(output.indexOf(recycling, firstRecycle + 1)).as("the second only once the first one's successor is ready")
				.isGreaterThan(successorReady);
			assertThat(successorReady).isPositive();
		}
	}

	@Test
	void winchIsIgnoredWhileTheMastersStdinIsATerminal() throws Exception {
		MasterProcess.installTestTools(); // python3, to open a pty
		// stdin on a pseudo-terminal, as in an interactive shell where a window resize sends
		// WINCH; the terminal's other end stays open in the master, or the terminal hangs up.
		List<String> onTerminal = List.of("/usr/bin/python3", "-c", "import os, sys; m, s = os.openpty(); "
				+ "os.set_inheritable(m, True); os.dup2(s, 0); os.execvp(sys.argv[1], sys.argv[1:])");
		try (MasterProcess master = MasterProcess.start(onTerminal, "--prefork.workers=1")) {
			long worker = pidOfSlot(master.awaitReady(1), 0);
			master.signal("WINCH");
			master.awaitLog("SIGWINCH ignored: the master's stdin is a terminal");
			JsonNode status = master.status();
			assertThat(status.get("targetWorkers").asInt()).isEqualTo(1);
			assertThat(pidOfSlot(status, 0)).isEqualTo(worker);
		}
	}

	/** A field of the last reload's report, or "" before the first reload ended. */
	private static String lastReload(JsonNode status, String field) {
		JsonNode report = status.get("lastReload");
		return (report == null || report.isNull()) ? "" : report.get(field).asString();
	}

	private static int readyOfGeneration(JsonNode status, int generation) {
		int ready = 0;
		for (JsonNode worker : status.get("workers")) {
			if (worker.get("state").asString().equals("ready") && worker.get("generation").asInt() == generation) {
				ready++;
			}
		}
		return ready;
	}

}
