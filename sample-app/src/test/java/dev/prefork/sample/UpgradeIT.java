package dev.prefork.sample;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static dev.prefork.sample.MasterProcess.await;
import static dev.prefork.sample.MasterProcess.awaitPidfile;
import static dev.prefork.sample.MasterProcess.isRunning;
import static dev.prefork.sample.MasterProcess.pidOfSlot;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The on-the-fly upgrade with real signals: USR2 starts a new master next to the old one,
 * WINCH and TERM to the old master finish it, HUP to the old and TERM to the new back it out.
 */
@Timeout(300)
class UpgradeIT {

	private static final Duration EXIT = Duration.ofSeconds(60);

	@TempDir
	Path temp;

	@Test
	void newMasterServesNextToTheOldOneAndIsPromotedWhenTheOldOneStops() throws Exception {
		Path pidfile = this.temp.resolve("master.pid");
		Path newPidfile = this.temp.resolve("master.pid.2");
		// over TLS: the promoted master must serve the management port as the old one did
		List<String> args = new ArrayList<>(List.of("--prefork.workers=1", "--prefork.pidfile=" + pidfile));
		args.addAll(MasterProcess.managementTls(this.temp));
		try (MasterProcess master = MasterProcess.start(args.toArray(String[]::new))) {
			long oldWorker = pidOfSlot(master.awaitReady(1), 0);
			master.signal("USR2");
			long newMaster = awaitPidfile(newPidfile);
			master.adopt(newMaster);
			assertThat(ProcessHandle.of(newMaster).flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
				.contains(master.pid());
			master.awaitLog("New master (pid " + newMaster + ") is ready");
			JsonNode status = master.status();
			assertThat(status.get("state").asString()).isEqualTo("upgrading");
			assertThat(status.get("upgrade").get("newMasterPid").asLong()).isEqualTo(newMaster);

			master.signal("USR2");
			master.awaitLog("refused: an upgrade is already in progress (new master pid " + newMaster + ")");
			MasterProcess.kill("USR2", newMaster);
			master.awaitLog("refused: this master is itself the new master of an upgrade");

			master.signal("WINCH");
			master.awaitStatus("the old master's workers to stop", (s) -> s.get("targetWorkers").asInt() == 0
					&& s.get("workers").isEmpty());
			await("the old worker to exit", EXIT, () -> !isRunning(oldWorker));
			long servedBy = master.get("/whoami").json().get("pid").asLong();
			assertThat(ProcessHandle.of(servedBy).flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
				.as("served by a worker of the new master").contains(newMaster);

			master.signal("TERM");
			assertThat(master.awaitExit(EXIT)).isZero();
			master.awaitLog("Promoted: the old master (pid " + master.pid() + ") has exited; this master (pid "
					+ newMaster + ") is the master now");
			assertThat(Files.readString(pidfile).trim()).isEqualTo(Long.toString(newMaster));
			assertThat(newPidfile).doesNotExist();
			await("the new master to serve the management port", EXIT, () -> managementPid(master) == newMaster);
			master.awaitLog("Management endpoints now on 127.0.0.1:" + master.managementPort + " (TLS)");
			assertThat(plainHttpStatus(master.managementPort)).as("plain HTTP on the promoted management port")
				.isNotEqualTo(200);
			assertThat(master.get("/whoami").status()).isEqualTo(200);
		}
		assertThat(pidfile).doesNotExist();
	}

	@Test
	void hupToTheOldMasterAndTermToTheNewOneBackTheUpgradeOut() throws Exception {
		Path pidfile = this.temp.resolve("master.pid");
		Path newPidfile = this.temp.resolve("master.pid.2");
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--prefork.pidfile=" + pidfile)) {
			master.awaitReady(1);
			// the endpoint, this time: same command as USR2
			MasterProcess.Response upgrade = master.control("/actuator/prefork/upgrade", "");
			assertThat(upgrade.status()).as(upgrade.body()).isEqualTo(202);
			long newMaster = awaitPidfile(newPidfile);
			master.adopt(newMaster);
			assertThat(upgrade.json().get("message").asString()).isEqualTo("upgrade started: new master pid " + newMaster);
			MasterProcess.Response again = master.control("/actuator/prefork/upgrade", "");
			assertThat(again.status()).isEqualTo(409);
			assertThat(again.json().get("message").asString()).startsWith("an upgrade is already in progress");
			master.awaitLog("New master (pid " + newMaster + ") is ready");
			master.signal("WINCH");
			master.awaitStatus("the old master's workers to stop", (s) -> s.get("workers").isEmpty());

			master.signal("HUP");
			JsonNode restarted = master.awaitStatus("the old master's workers to start again",
					(s) -> s.get("generation").asInt() == 2 && s.get("targetWorkers").asInt() == 1
							&& s.get("workers").size() == 1
							&& s.get("workers").get(0).get("state").asString().equals("ready"));
			long oldMastersWorker = pidOfSlot(restarted, 0);
			MasterProcess.kill("TERM", newMaster);
			await("the new master to exit", EXIT, () -> !isRunning(newMaster));
			master.awaitLog("New master (pid " + newMaster + ") exited (exit code 0): the upgrade is backed out");
			JsonNode status = master.awaitStatus("the upgrade to be over", (s) -> s.get("upgrade").isNull());
			assertThat(status.get("state").asString()).isEqualTo("running");
			assertThat(newPidfile).doesNotExist();
			assertThat(Files.readString(pidfile).trim()).isEqualTo(Long.toString(master.pid()));
			assertThat(master.get("/whoami").json().get("pid").asLong()).isEqualTo(oldMastersWorker);
		}
	}

	@Test
	void newMasterThatCannotBootLeavesTheOldOneServing() throws Exception {
		Path broken = this.temp.resolve("broken");
		Path pidfile = this.temp.resolve("master.pid");
		Path fifo = this.temp.resolve("master.fifo");
		try (MasterProcess master = MasterProcess.start("--prefork.workers=1", "--prefork.pidfile=" + pidfile,
				"--sample.fail-on-start-file=" + broken, "--prefork.master-fifo=" + fifo)) {
			long worker = pidOfSlot(master.awaitReady(1), 0);
			Files.createFile(broken);
			// the FIFO's 'u', this time: the same command as USR2
			Files.writeString(fifo, "u");
			master.awaitLog("Upgrading (source: fifo): started a new master");
			master.awaitLog(") failed to boot (exit code 3: the application context failed to start), its log above "
					+ "says why; the upgrade is abandoned and this master keeps serving");
			JsonNode status = master.status();
			assertThat(status.get("state").asString()).isEqualTo("running");
			assertThat(pidOfSlot(status, 0)).isEqualTo(worker);
			assertThat(this.temp.resolve("master.pid.2")).doesNotExist();
			assertThat(master.get("/whoami").json().get("pid").asLong()).isEqualTo(worker);
		}
	}

	/** The pid in the status the management port answers, over TLS where the master has it. */
	private static long managementPid(MasterProcess master) {
		try {
			return master.management("GET", "/actuator/prefork", Map.of(), "").json().get("pid").asLong();
		}
		catch (Exception ex) {
			return -1;
		}
	}

	/** The status of a plain HTTP request, or -1 when the server answers none (as a TLS port may). */
	private static int plainHttpStatus(int port) {
		try {
			return MasterProcess.get(port, "/actuator/prefork").status();
		}
		catch (Exception ex) {
			return -1;
		}
	}

}
