package dev.prefork.master;

import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a worker may put into the master's warm-up list: every later worker requests the top
 * paths, so a worker's report is believed only as far as its own request count goes.
 */
class PathReportsTests {

	private final RecordedPaths recorded = new RecordedPaths();

	private final PathReports reports = new PathReports(this.recorded);

	@Test
	void reportCountingMoreRequestsThanTheWorkerServedIsRefused() {
		assertThat(this.reports.report("PATHS 1000000 /evil")).isEqualTo(
				"it counts 1000000 requests, but the worker's heartbeats show 0 served since its last report");
		this.reports.heartbeat(100);
		assertThat(this.reports.report("PATHS 60 /a 30 /b")).isNull();
		assertThat(this.reports.report("PATHS 20 /c")).contains("it counts 20 requests", "show 10 served");
		this.reports.heartbeat(130);
		assertThat(this.reports.report("PATHS 40 /a")).isNull();
		assertThat(this.recorded.top()).containsExactly("/a", "/b");
	}

	@Test
	void malformedReportIsRefusedWhole() {
		this.reports.heartbeat(1L << 40);
		String tooMany = IntStream.rangeClosed(1, 21).mapToObj((i) -> "5 /p" + i).collect(Collectors.joining(" "));
		for (String line : new String[] { "PATHS 5 /a x /b", "PATHS 5 /a 5", "PATHS 5 /a  5 /b", "PATHS 5 /a 5 /b ",
				"PATHS 5 /a 0 /b", "PATHS 5 /a 05 /b", "PATHS 5 /a -5 /b", "PATHS 5 /a +5 /b", "PATHS 5 /a 2147483648 /b",
				"PATHS 5 /a 5 b", "PATHS 5 /a 5 /a", "PATHS 5 /a 5 /caf\u00e9", "PATHS", "PATHS ", "PATHS " + tooMany }) {
			assertThat(this.reports.report(line)).as(line).startsWith("malformed");
		}
		assertThat(this.recorded.top()).isEmpty();
		assertThat(this.reports.report("PATHS 5 /a 2147483647 /b")).isNull();
		assertThat(this.reports.report("PATHS " + tooMany.substring(0, tooMany.lastIndexOf(" 5 /p21")))).isNull();
	}

}
