package dev.prefork.metrics;

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
		assertThat(PrometheusText.withWorker("up 1", 3, "up")).isEqualTo("up{worker=\"3\"} 1");
		assertThat(PrometheusText.withWorker("up{} 1", 3, "up")).isEqualTo("up{worker=\"3\"} 1");
		assertThat(PrometheusText.withWorker("up{a=\"b c\"} 1 1700000000", 3, "up"))
			.isEqualTo("up{worker=\"3\",a=\"b c\"} 1 1700000000");
		assertThat(PrometheusText.withWorker("up{a=\"x\\\",worker=\\\"}\",} NaN", 3, "up"))
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
				ok{a="b"}2
				9bad 1
				""", 0);
		text.add("no_type_line 1\n", 1);
		assertThat(text.render()).isEqualTo("# TYPE ok gauge\nok{worker=\"0\"} 1\n");
		assertThat(text.dropped()).containsEntry(0, 10).containsEntry(1, 1);
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
