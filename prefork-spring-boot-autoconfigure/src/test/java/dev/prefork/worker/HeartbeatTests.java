package dev.prefork.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HeartbeatTests {

	/** Request threads that queue tasks until the test runs them: a busy or stuck pool. */
	private final List<Runnable> queued = new ArrayList<>();

	private final Executor requestThreads = this.queued::add;

	private final WorkerRequestStats stats = new WorkerRequestStats();

	private final List<String> sent = new ArrayList<>();

	@Test
	void aHeartbeatIsSentWhenItsProbeRunsAndOneProbeWaitsAtATime() {
		Heartbeat heartbeat = new Heartbeat(this.requestThreads, false, this.stats, null, this.sent::add);
		heartbeat.run();
		heartbeat.run();
		assertThat(this.queued).hasSize(1);
		assertThat(this.sent).isEmpty();
		this.queued.remove(0).run();
		assertThat(this.sent).containsExactly("HEARTBEAT 0 0");
		heartbeat.run();
		assertThat(this.queued).hasSize(1);
	}

	@Test
	void onAPlatformPoolFinishedRequestsDoNotReplaceTheProbe() {
		Heartbeat heartbeat = new Heartbeat(this.requestThreads, false, this.stats, null, this.sent::add);
		heartbeat.run();
		serve(3);
		heartbeat.run();
		heartbeat.run();
		assertThat(this.sent).as("the pool never ran the probe").isEmpty();
	}

	@Test
	void onVirtualThreadsRequestsFinishedWhileTheProbeWaitsAreAHeartbeat() {
		serve(5);
		Heartbeat heartbeat = new Heartbeat(this.requestThreads, true, this.stats, null, this.sent::add);
		heartbeat.run();
		heartbeat.run();
		assertThat(this.sent).as("nothing finished since the heartbeat started").isEmpty();
		serve(2);
		heartbeat.run();
		assertThat(this.sent).containsExactly("HEARTBEAT 7 0");
		heartbeat.run();
		assertThat(this.sent).as("no progress since the last heartbeat").hasSize(1);
		this.stats.started();
		heartbeat.run();
		assertThat(this.sent).as("a request in flight is no progress").hasSize(1);
		this.queued.remove(0).run();
		assertThat(this.sent).containsExactly("HEARTBEAT 7 0", "HEARTBEAT 7 1");
	}

	@Test
	void recordedPathsFollowTheirHeartbeat() {
		ServedPaths paths = new ServedPaths();
		Heartbeat heartbeat = new Heartbeat(this.requestThreads, true, this.stats, paths, this.sent::add);
		heartbeat.run();
		serve(1);
		paths.record("/whoami");
		heartbeat.run();
		assertThat(this.sent).containsExactly("HEARTBEAT 1 0", "PATHS 1 /whoami");
	}

	private void serve(int requests) {
		for (int i = 0; i < requests; i++) {
			this.stats.started();
			this.stats.finished();
		}
	}

}
