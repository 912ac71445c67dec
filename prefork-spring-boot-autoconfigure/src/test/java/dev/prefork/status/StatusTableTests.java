package dev.prefork.status;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

class StatusTableTests {

	@Test
	void showsTheMasterAndAWorkerPerLineInAlignedColumns() {
		String document = """
				{"pid":2850,"state":"reloading","generation":2,"targetWorkers":2,"minReadyWorkers":1,"exitCode":0,
				 "workers":[
				  {"slot":0,"pid":2884,"state":"ready","generation":1,"ageSeconds":4000.2,"heartbeatAgeSeconds":1.25,
				   "requests":123456,"inflight":3,"residentMemoryBytes":327155712,"maxHeapBytes":1073741824},
				  {"slot":0,"pid":2990,"state":"booting","generation":2,"ageSeconds":2.9,"heartbeatAgeSeconds":null,
				   "requests":0,"inflight":0,"residentMemoryBytes":null,"maxHeapBytes":null}],
				 "lastReload":{"generation":1,"strategy":"rolling","result":"succeeded","message":"all ready",
				   "durationSeconds":45.2,"finishedAt":"2026-12-07T06:00:00Z"},
				 "memory":{"limitBytes":2147483648,"source":"cgroup","workerHeapBytes":536870912,"heapSetBy":"prefork"}}
				""";
		String table = StatusTable.render(JsonMapper.builder().build().readTree(document));
		assertThat(table.split("\n")).containsExactly(
				"master 2850, reloading, generation 2: 1 of 2 workers ready (min-ready-workers 1); memory limit 2048 MiB (cgroup)",
				"last reload: generation 1 rolling succeeded in 45.2 s at 2026-12-07T06:00:00Z: all ready",
				"SLOT  PID   GEN  STATE    AGE    REQUESTS  INFLIGHT  RSS      HEAP MAX  HEARTBEAT",
				"0     2884  1    ready    1h06m  123456    3         312 MiB  1024 MiB  1.3s ago",
				"0     2990  2    booting  2s     0         0         -        -         -");
	}

	@Test
	void textGoesToTheTerminalWithoutEscapeSequences() {
		assertThat(StatusTable.printable("bad value \u001b[2J\u001b]0;title\u0007 \u009b31m \u202eevil\nnext"))
			.isEqualTo("bad value ?[2J?]0;title? ?31m ?evil?next");
		assertThat(StatusTable.printable("caf\u00e9 ok")).isEqualTo("caf\u00e9 ok");
	}

	@Test
	void theTableShowsTheLastReloadsMessageWithoutItsEscapeSequences() {
		String document = """
				{"pid":1,"state":"running","generation":2,"targetWorkers":1,"minReadyWorkers":1,"workers":[],
				 "lastReload":{"generation":2,"strategy":"rolling","result":"failed","message":"bad \\u001b[2J value",
				   "durationSeconds":1.0,"finishedAt":"t"}}
				""";
		assertThat(StatusTable.render(JsonMapper.builder().build().readTree(document)))
			.contains("failed in 1.0 s at t: bad ?[2J value").doesNotContain("\u001b");
	}

	@Test
	void agesReadAtAGlance() {
		assertThat(StatusTable.age(0.4)).isEqualTo("0s");
		assertThat(StatusTable.age(59.9)).isEqualTo("59s");
		assertThat(StatusTable.age(725)).isEqualTo("12m05s");
		assertThat(StatusTable.age(3 * 3600 + 4 * 60 + 59)).isEqualTo("3h04m");
		assertThat(StatusTable.age(2 * 86400 + 3 * 3600)).isEqualTo("2d03h");
	}

}
