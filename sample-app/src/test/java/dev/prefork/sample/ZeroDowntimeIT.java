package dev.prefork.sample;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.prefork.sample.MasterProcess.Stack;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static dev.prefork.sample.MasterProcess.await;
import static dev.prefork.sample.MasterProcess.awaitPidfile;
import static dev.prefork.sample.MasterProcess.call;
import static dev.prefork.sample.MasterProcess.pidOfSlot;
import static dev.prefork.sample.MasterProcess.readyCount;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The headline claim: under keep-alive load, no request fails across a rolling and an
 * all-at-once reload, scaling up and down, max-requests recycling and an upgrade (USR2, then
 * TERM to the old master); a SIGKILLed worker loses at most the requests it had in flight.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ZeroDowntimeIT {

	/** Connections of the load: also the most requests a worker can have in flight. */
	private static final int CONNECTIONS = 4;

	@TempDir
	Path temp;

	@ParameterizedTest
	@MethodSource("dev.prefork.sample.MasterProcess#matrix")
	void noRequestFailsAcrossReloadsScalingRecyclingAndAnUpgrade(Stack stack) throws Exception {
		Path pidfile = this.temp.resolve("master.pid");
		try (MasterProcess master = MasterProcess.start(stack, "--prefork.workers=2", "--prefork.max-requests=40000",
				"--prefork.max-requests-jitter=10000", "--prefork.pidfile=" + pidfile, "--prefork.timeout=12s")) {
			master.awaitReady(2);
			try (KeepAliveLoad load = KeepAliveLoad.start(master.port(), CONNECTIONS)) {
				underLoad(master, load);
			}
		}
	}

	/**
	 * The other stacks drain through the same code as one of the matrix's (their connector, or
	 * their server under another web framework): a rolling reload and a scale-down, where
	 * every worker that goes drains first.
	 */
	@ParameterizedTest
	@MethodSource("dev.prefork.sample.MasterProcess#others")
	void noRequestFailsAcrossAReloadAndAScaleDown(Stack stack) throws Exception {
		try (MasterProcess master = MasterProcess.start(stack, "--prefork.workers=2", "--prefork.timeout=12s")) {
			master.awaitReady(2);
			try (KeepAliveLoad load = KeepAliveLoad.start(master.port(), CONNECTIONS)) {
				awaitMore(load, 500);
				master.signal("HUP");
				awaitReload(master, 2, "rolling");
				awaitMore(load, 500);
				master.signal("TTOU");
				master.awaitStatus("1 worker", (s) -> s.get("targetWorkers").asInt() == 1 && s.get("workers").size() == 1
						&& readyCount(s) == 1);
				awaitMore(load, 500);
				load.close();
				assertThat(load.failures()).as("failed requests out of " + load.answered()).isEmpty();
			}
		}
	}

	private void underLoad(MasterProcess master, KeepAliveLoad load) throws Exception {
		awaitMore(load, 500);

		master.signal("HUP");
		awaitReload(master, 2, "rolling");
		awaitMore(load, 500);

		assertThat(master.control("/actuator/prefork/reload", "{\"strategy\":\"all-at-once\"}").status()).isEqualTo(202);
		awaitReload(master, 3, "all-at-once");
		awaitMore(load, 500);

		master.signal("TTIN");
		master.awaitStatus("3 ready workers", (s) -> s.get("targetWorkers").asInt() == 3 && readyCount(s) >= 3);
		awaitMore(load, 500);
		master.signal("TTOU");
		JsonNode two = master.awaitStatus("2 workers", (s) -> s.get("targetWorkers").asInt() == 2 && readyCount(s) == 2
				&& s.get("workers").size() == 2);
		awaitMore(load, 500);

		// The one exception: a killed worker loses the requests it had in flight, at most one per
		// connection it held; not one more request fails after that.
		assertThat(load.failures()).as("failed requests before the kill, out of " + load.answered()).isEmpty();
		long killed = pidOfSlot(two, 0);
		MasterProcess.kill("KILL", killed);
		master.awaitStatus("the killed worker replaced", (s) -> pidOfSlot(s, 0) != killed && pidOfSlot(s, 0) != -1
				&& s.get("workers").get(0).get("state").asString().equals("ready"));
		awaitMore(load, 500);
		List<String> lost = load.failures();
		assertThat(lost).as("requests lost with the killed worker").hasSizeLessThanOrEqualTo(CONNECTIONS);

		await("a worker recycled after max-requests", MasterProcess.BOOT,
				() -> call(() -> master.output().contains("exited: max_requests")));
		awaitMore(load, 500);

		master.signal("USR2");
		long newMaster = awaitPidfile(this.temp.resolve("master.pid.2"));
		master.adopt(newMaster);
		master.awaitLog("New master (pid " + newMaster + ") is ready");
		awaitMore(load, 500);
		master.signal("TERM");
		assertThat(master.awaitExit(Duration.ofSeconds(90))).isZero();
		master.awaitLog("Promoted: the old master (pid " + master.pid() + ") has exited");
		awaitMore(load, 500);

		load.close();
		assertThat(load.failures()).as("failed requests out of " + load.answered()).isEqualTo(lost);
	}

	/** Waits until the load got {@code more} answers: it goes on through what just happened. */
	private static void awaitMore(KeepAliveLoad load, long more) throws InterruptedException {
		long target = load.answered() + more;
		await(more + " more answers", Duration.ofSeconds(60), () -> load.answered() >= target);
	}

	private static void awaitReload(MasterProcess master, int generation, String strategy) throws Exception {
		JsonNode status = master.awaitStatus("generation " + generation + " ready",
				(s) -> s.get("generation").asInt() == generation && s.get("lastReload") != null
						&& !s.get("lastReload").isNull() && s.get("lastReload").get("generation").asInt() == generation);
		assertThat(status.get("lastReload").get("result").asString()).isEqualTo("succeeded");
		assertThat(status.get("lastReload").get("strategy").asString()).isEqualTo(strategy);
	}

}
