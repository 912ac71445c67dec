package dev.prefork.metrics;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PrometheusTextTests {

	private static final String MASTER = """
			# HELP jvm_threads_live_threads The current number of live threads
			# TYPE jvm_threads_live_threads gauge
			jvm_threads_live_threads 31.0
			# HELP prefork_workers_target_workers Workers the master keeps running
			# TYPE prefork_workers_target_workers gauge
			prefork_workers_target_workers 2.0
			""";

	private static final String WORKER = """
			# HELP http_server_requests_seconds
			# TYPE http_server_requests_seconds summary
			http_server_requests_seconds_count{method="GET",uri="/whoami"} 5
			http_server_requests_seconds_sum{method="GET",uri="/whoami"} 0.25
			# HELP jvm_threads_live_threads The current number of live threads
			# TYPE jvm_threads_live_threads gauge
			jvm_threads_live_threads 40.0
			""";

	@Test
	void labelsWorkerSamplesAndGroupsEachFamilyOnce() {
		PrometheusText text = new PrometheusText();
		text.add(MASTER, null);
		text.add(WORKER, 0);
		text.add(WORKER.replace("40.0", "41.0"), 1);
		assertThat(text.render()).isEqualTo("""
				# HELP jvm_threads_live_threads The current number of live threads
				# TYPE jvm_threads_live_threads gauge
				jvm_threads_live_threads 31.0
				jvm_threads_live_threads{worker="0"} 40.0
				jvm_threads_live_threads{worker="1"} 41.0
				# HELP prefork_workers_target_workers Workers the master keeps running
				# TYPE prefork_workers_target_workers gauge
				prefork_workers_target_workers 2.0
				# HELP http_server_requests_seconds
				# TYPE http_server_requests_seconds summary
				http_server_requests_seconds_count{worker="0",method="GET",uri="/whoami"} 5
				http_server_requests_seconds_sum{worker="0",method="GET",uri="/whoami"} 0.25
				http_server_requests_seconds_count{worker="1",method="GET",uri="/whoami"} 5
				http_server_requests_seconds_sum{worker="1",method="GET",uri="/whoami"} 0.25
				""");
	}

	@Test
	void dropsWorkerSamplesOfAFamilyWithAnotherType() {
		PrometheusText text = new PrometheusText();
		text.add("# TYPE x gauge\nx 1\n", null);
		text.add("# TYPE x counter\nx 2\n", 0);
		assertThat(text.render()).isEqualTo("# TYPE x gauge\nx 1\n");
	}

	@Test
	void addsTheLabelToEveryShapeOfSample() {
		assertThat(PrometheusText.withWorker("up 1", 3, "up", "gauge")).isEqualTo("up{worker=\"3\"} 1");
		assertThat(PrometheusText.withWorker("up{} 1", 3, "up", "gauge")).isEqualTo("up{worker=\"3\"} 1");
		assertThat(PrometheusText.withWorker("up{a=\"b c\"} 1 1700000000", 3, "up", "gauge"))
			.isEqualTo("up{worker=\"3\",a=\"b c\"} 1 1700000000");
		assertThat(PrometheusText.withWorker("up{a=\"x\\\",worker=\\\"}\",} NaN", 3, "up", "gauge"))
			.isEqualTo("up{worker=\"3\",a=\"x\\\",worker=\\\"}\"} NaN");
	}

	@Test
	void applicationLabelNamedWorkerBecomesExportedWorker() {
		PrometheusText text = new PrometheusText();
		text.add("# TYPE jobs_total counter\njobs_total{queue=\"mail\",worker=\"sender-1\"} 7\n", 0);
		text.add("# TYPE jobs_total counter\njobs_total{worker=\"a\",exported_worker=\"b\"} 1\n", 1);
		assertThat(text.render()).isEqualTo("""
				# TYPE jobs_total counter
				jobs_total{worker="0",queue="mail",exported_worker="sender-1"} 7
				jobs_total{worker="1",exported_worker="a",exported_exported_worker="b"} 1
				""");
		assertThat(text.dropped()).isEmpty();
	}

	@Test
	void dropsAndCountsMalformedWorkerLines() {
		PrometheusText text = new PrometheusText();
		text.add("""
				# TYPE ok gauge
				ok 1
				ok_without_value
				ok{a="unterminated} 1
				ok{1a="x"} 1
				ok{a=x} 1
				ok 1 2 3
				ok one
				ok 1 soon
				other 1
				9bad 1
				""", 0);
		text.add("no_type_line 1\n", 1);
		assertThat(text.render()).isEqualTo("# TYPE ok gauge\nok{worker=\"0\"} 1\n");
		assertThat(text.dropped()).containsEntry(0, 9).containsEntry(1, 1);
	}

	/**
	 * Each line was served to Prometheus 2.42 (the target went down, the error in the comment)
	 * or to {@code promtool check metrics} (the reference parser, which refuses escapes the
	 * server lets through); MetricsIT does it again for every one of them.
	 */
	@Test
	void dropsEverySampleAPrometheusParserRefuses() {
		List<String> refused = List.of("x{a=\"1\",a=\"2\"} 1", // label name "a" is not unique
				"x{a=\"\",a=\"1\"} 1", // promtool: duplicate label names
				"x{__name__=\"y\"} 1", // label name "__name__" is not unique
				"x +NaN", "x -NaN", // ParseFloat: invalid syntax
				"x 1e400", "x -1e400", // ParseFloat: value out of range
				"x 0x1p3", "x 1_000", // unsupported character in float
				"x 0x10", "x 1d", "x 1f", "x .", "x 1e", "x 1e+", "x infin", "x \u22121", // invalid syntax
				"x 1 9223372036854775808", // ParseInt: value out of range
				"x 1 -1", "x 1 +5", "x 1 1.5", // expected timestamp or new record
				"x{a=\"\\q\"} 1", "x{a=\"\\t\"} 1", // promtool: invalid escape sequence
				"x{a=\"1\" b=\"2\"} 1", // promtool: unexpected end of label value
				"x{a=\"1\",,b=\"2\"} 1", "x{,} 1", // expected label name, got COMMA
				"x{a:b=\"1\"} 1", // expected equal
				"x{a=\"\\\"} 1", // expected label value
				"  x 1", // invalid metric name
				"x\u0000y 1"); // expected value after metric
		for (String line : refused) {
			PrometheusText text = new PrometheusText();
			text.add("# TYPE x gauge\n" + line + "\n", 0);
			assertThat(text.render()).as(line).isEmpty();
			assertThat(text.dropped()).as(line).containsEntry(0, 1);
		}
	}

	@Test
	void keepsAndRewritesEverySampleBothPrometheusParsersAccept() {
		String accepted = """
				x nan
				x{a="inf"} +Inf
				x{a="infinity"} -infinity
				x{a="e"} 1E+5
				x{a="dot"} 1.
				x{a="lead"} .5
				x{a="zeros"} 0001
				x{a="tiny"} 1e-400
				x{a="max"} 1.7976931348623157e308
				x{a="ts"} 1 9223372036854775807
				x{a="tsz"} 1 0000000000001
				x{b="\\\\ \\" \\n"} 1
				x{__b="reserved prefix"} 1
				x{ c = "blanks" , }	2	5
				x{d="tight"}3
				x-1
				""";
		PrometheusText text = new PrometheusText();
		text.add("# TYPE x gauge\n" + accepted, 0);
		assertThat(text.render()).isEqualTo("""
				# TYPE x gauge
				x{worker="0"} nan
				x{worker="0",a="inf"} +Inf
				x{worker="0",a="infinity"} -infinity
				x{worker="0",a="e"} 1E+5
				x{worker="0",a="dot"} 1.
				x{worker="0",a="lead"} .5
				x{worker="0",a="zeros"} 0001
				x{worker="0",a="tiny"} 1e-400
				x{worker="0",a="max"} 1.7976931348623157e308
				x{worker="0",a="ts"} 1 9223372036854775807
				x{worker="0",a="tsz"} 1 0000000000001
				x{worker="0",b="\\\\ \\" \\n"} 1
				x{worker="0",__b="reserved prefix"} 1
				x{worker="0",c="blanks"} 2 5
				x{worker="0",d="tight"} 3
				x{worker="0"} -1
				""");
		assertThat(text.dropped()).isEmpty();
	}

	@Test
	void dropsBoundsThatAreNoNumberAndFamiliesOfUnknownType() {
		PrometheusText text = new PrometheusText();
		text.add("""
				# TYPE h histogram
				h_bucket{le="abc"} 1
				h_bucket{le="+Inf"} 1
				# TYPE s summary
				s{quantile="+NaN"} 1
				s{quantile="0.5"} 1
				# TYPE b bogus
				b 1
				# TYPE t
				t 1
				# TYPE g gauge extra
				g 1
				""", 0);
		assertThat(text.render()).isEqualTo("""
				# TYPE h histogram
				h_bucket{worker="0",le="+Inf"} 1
				# TYPE s summary
				s{worker="0",quantile="0.5"} 1
				""");
		assertThat(text.dropped()).containsEntry(0, 5);
	}

	@Test
	void dropsHelpWithABadEscapeAndSamplesNamedLikeAnotherFamily() {
		PrometheusText text = new PrometheusText();
		text.add("# HELP x bad \\q escape\n# TYPE x counter\nx_total 1\nx 2\n", 0);
		text.add("# HELP x_total good \\\\ \\n escapes\n# TYPE x_total counter\nx_total 3\n", 1);
		assertThat(text.render()).isEqualTo("""
				# TYPE x counter
				x{worker="0"} 2
				# HELP x_total good \\\\ \\n escapes
				# TYPE x_total counter
				x_total{worker="1"} 3
				""");
		assertThat(text.dropped()).containsEntry(0, 2);
	}

	@Test
	void workerCannotAddToTheMastersPreforkFamilies() {
		PrometheusText text = new PrometheusText();
		text.add("# TYPE prefork_workers gauge\nprefork_workers{state=\"ready\"} 2\n", null);
		text.add("# TYPE prefork_workers gauge\nprefork_workers{state=\"ready\"} 99\n"
				+ "# TYPE prefork_jobs gauge\nprefork_jobs 1\n", 0);
		assertThat(text.render()).isEqualTo("""
				# TYPE prefork_workers gauge
				prefork_workers{state="ready"} 2
				# TYPE prefork_jobs gauge
				prefork_jobs{worker="0"} 1
				""");
		assertThat(text.dropped()).containsEntry(0, 1);
	}

	@Test
	void familyWhoseTypeDiffersBetweenWorkersKeepsTheFirst() {
		PrometheusText text = new PrometheusText();
		text.add("# TYPE shape gauge\nshape 1\n", 0);
		text.add("# TYPE shape counter\nshape_total 2\n# TYPE shape_total counter\nshape_total 2\n", 1);
		assertThat(text.render()).isEqualTo("""
				# TYPE shape gauge
				shape{worker="0"} 1
				# TYPE shape_total counter
				shape_total{worker="1"} 2
				""");
		assertThat(text.dropped()).containsEntry(1, 1);
	}

}
