package dev.prefork.sample;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

import static dev.prefork.sample.MasterProcess.kill;
import static dev.prefork.sample.MasterProcess.pidOfSlot;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * GPUs per worker slot from USE_GPUS: CUDA_VISIBLE_DEVICES in each worker, the same GPU for
 * a respawned slot, shown in the status and in prefork_worker_info.
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class GpuIT {

	@Test
	void eachSlotSeesItsGpuAcrossScalingAndRespawns() throws Exception {
		try (MasterProcess master = MasterProcess.startWithEnvironment(Map.of("USE_GPUS", "0,1"),
				"--prefork.workers=3")) {
			JsonNode status = master.awaitReady(3);
			for (JsonNode worker : status.get("workers")) {
				String expected = Integer.toString(worker.get("slot").asInt() % 2);
				assertThat(worker.get("gpu").asString()).isEqualTo(expected);
				assertThat(MasterProcess.environment(worker.get("pid").asLong())).contains("CUDA_VISIBLE_DEVICES=" + expected);
			}
			long slot1 = pidOfSlot(status, 1);
			kill("KILL", slot1);
			status = master.awaitStatus("slot 1 respawned", (s) -> pidOfSlot(s, 1) != slot1 && pidOfSlot(s, 1) > 0
					&& s.get("workers").size() == 3 && s.get("workers").get(1).get("state").asString().equals("ready"));
			assertThat(MasterProcess.environment(pidOfSlot(status, 1))).contains("CUDA_VISIBLE_DEVICES=1");
			master.signal("TTOU");
			status = master.awaitReady(2);
			assertThat(status.get("workers")).extracting((worker) -> worker.get("gpu").asString()).containsExactly("0", "1");
			String metrics = MasterProcess.get(master.managementPort, "/actuator/prometheus").body();
			assertThat(metrics).containsPattern("prefork_worker_info\\{[^}]*gpu=\"1\"[^}]*worker=\"1\"")
				.containsPattern("prefork_worker_info\\{[^}]*gpu=\"0\"[^}]*worker=\"0\"");
		}
	}
}
