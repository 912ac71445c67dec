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
		assertThat(PrometheusText.withWorker("up 1", 3)).isEqualTo("up{worker=\"3\"} 1");
		assertThat(PrometheusText.withWorker("up{} 1", 3)).isEqualTo("up{worker=\"3\"} 1");
		assertThat(PrometheusText.withWorker("up{a=\"b c\"} 1 1700000000", 3)).isEqualTo("up{worker=\"3\",a=\"b c\"} 1 1700000000");
	}

}
