package dev.prefork.sample;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static dev.prefork.sample.MasterProcess.await;
import static dev.prefork.sample.MasterProcess.kill;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The master as a container's PID 1 (here: a new PID namespace with unshare, as docker runs
 * {@code exec java -jar}): TERM reaches it, and it reaps orphans the workers leave behind.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class ContainerIT {

	@BeforeAll
	static void installTools() throws Exception {
		MasterProcess.installTestTools();
	}


	@Test
	void asPid1TheMasterReapsOrphansAndStopsOnTerm() throws Exception {
		try (MasterProcess master = MasterProcess.start(
				List.of("unshare", "--pid", "--fork", "--mount-proc", "--kill-child=TERM"), "--prefork.workers=1",
				MasterProcess.TEST_ENDPOINTS)
			.inPidNamespace()) {
			master.awaitReady(1);
			assertThat(master.output()).contains("The master is PID 1: it reaps orphaned processes too");
			long masterPid = ProcessHandle.of(master.pid())
				.orElseThrow()
				.children()
				.findFirst()
				.orElseThrow()
				.pid();

			MasterProcess.Response orphan = master.post("/orphan");
			assertThat(orphan.status()).isEqualTo(200);
			long orphanPid = orphan.json().get("orphan").asLong();
			master.awaitLog("Reaped orphaned process " + orphanPid + " (exit code 0)");
			await("no zombie left under the master", Duration.ofSeconds(10), () -> zombieChildren(masterPid).isEmpty());

			kill("TERM", masterPid);
			assertThat(master.awaitExit(Duration.ofSeconds(60))).isZero();
			assertThat(master.output()).contains("Master (pid 1) stopped");
		}
	}

	private static List<Long> zombieChildren(long pid) {
		return ProcessHandle.of(pid)
			.map((parent) -> parent.children()
				.filter((child) -> isZombie(child.pid()))
				.map(ProcessHandle::pid)
				.toList())
			.orElse(List.of());
	}

	private static boolean isZombie(long pid) {
		try {
			String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
			return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
		}
		catch (java.io.IOException ex) {
			return false;
		}
	}

}
