package dev.prefork.sample;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Server hooks (the sample's RecordingHooks, listed in its ServerHooks.imports) fire once
 * each, in order, with the right arguments, in the master only; one that throws is logged.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class HooksIT {

	@TempDir
	Path temp;

	@Test
	void everyHookFiresInOrderAndAThrowingHookIsOnlyLogged() throws Exception {
		Path hooks = this.temp.resolve("hooks.log");
		List<String> lines;
		long masterPid;
		// without sizing, whose resize after TTIN would add workerExited lines this test counts
		try (MasterProcess master = MasterProcess.start("--prefork.workers=2", "--prefork.memory.size-workers=false",
				"--sample.hooks-log=" + hooks,
				"--sample.hooks-throw=true")) {
			masterPid = master.pid();
			JsonNode status = master.awaitReady(2);
			for (JsonNode worker : status.get("workers")) {
				long pid = worker.get("pid").asLong();
				assertThat(MasterProcess.environment(pid)).contains("SAMPLE_HOOKED=" + worker.get("slot").asInt() + "/1");
				assertThat(MasterProcess.commandLine(pid)).contains("-Dsample.hooked=true");
			}
			master.signal("TTIN");
			master.awaitReady(3);
			master.signal("HUP");
			// prefork.workers did not change: the reload keeps the 3 workers scaled to at runtime.
			master.awaitStatus("generation 2 with its 3 workers",
					(s) -> s.get("generation").asInt() == 2 && s.get("state").asString().equals("running")
							&& s.get("workers").size() == 3);
			master.signal("TERM");
			assertThat(master.awaitExit(Duration.ofSeconds(60))).isZero();
			assertThat(master.output())
				.contains("Server hook dev.prefork.sample.RecordingHooks.workerReady failed; the master goes on");
			lines = Files.readAllLines(hooks);
		}
		assertThat(lines.get(0)).isEqualTo("onStarting " + masterPid + " 2");
		assertThat(lines).last().isEqualTo("onExit 0");
		assertThat(lines.get(1)).isEqualTo("preFork 0 1");
		int whenReady = lines.indexOf("whenReady 2");
		// Worker 1 starts at once, or once worker 0 is ready where worker 0 has a head start
		// (fewer than two processors a worker, as on a 2-core machine).
		assertThat(lines.subList(2, whenReady)).hasSize(3).containsOnlyOnce("preFork 1 1")
			.filteredOn((line) -> !line.equals("preFork 1 1"))
			.allMatch((line) -> line.startsWith("workerReady "));
		assertThat(lines.subList(whenReady + 1, whenReady + 4)).satisfies((next) -> {
			assertThat(next.get(0)).isEqualTo("workersChanged 2 3");
			assertThat(next.get(1)).isEqualTo("preFork 2 1");
			assertThat(next.get(2)).startsWith("workerReady 2 ");
		});
		int reload = lines.indexOf("onReload 2");
		assertThat(reload).isGreaterThan(whenReady + 3);
		List<String> afterReload = lines.subList(reload + 1, lines.size() - 1);
		assertThat(afterReload).filteredOn((line) -> line.startsWith("preFork "))
			.containsExactlyInAnyOrder("preFork 0 2", "preFork 1 2", "preFork 2 2");
		assertThat(afterReload).filteredOn((line) -> line.startsWith("workersChanged ")).isEmpty();
		assertThat(afterReload).filteredOn((line) -> line.startsWith("workerExited "))
			.as("3 old workers replaced, 3 new ones stopped at the end")
			.hasSize(6)
			.allMatch((line) -> line.matches("workerExited \\d \\d+ (graceful|scale_down) exit code \\d+"));
		assertThat(lines).filteredOn((line) -> line.startsWith("onStarting") || line.startsWith("whenReady")
				|| line.startsWith("onReload") || line.startsWith("onExit"))
			.as("each once").hasSize(4);
		assertThat(lines).noneMatch((line) -> line.startsWith("preExec"));
	}
}
