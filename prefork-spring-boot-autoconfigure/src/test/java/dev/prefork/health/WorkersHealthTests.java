package dev.prefork.health;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import dev.prefork.master.MasterState;
import dev.prefork.master.MasterStatus;
import dev.prefork.master.WorkerState;
import org.junit.jupiter.api.Test;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributors;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.health.registry.DefaultHealthContributorRegistry;

import static org.assertj.core.api.Assertions.assertThat;

class WorkersHealthTests {

	private final DefaultHealthContributorRegistry registry = new DefaultHealthContributorRegistry();

	/** What each worker (by pid) answers; a pid without an entry never answers. */
	private final Map<Long, String> answers = new ConcurrentHashMap<>();

	private final AtomicInteger asked = new AtomicInteger();

	private int minReady = 1;

	private final List<Long> ready = new ArrayList<>(List.of(1001L, 1002L));

	WorkersHealthTests() {
		this.registry.registerContributor("ping", (HealthIndicator) () -> Health.up().build());
	}

	private Duration maxAge = Duration.ZERO;

	private boolean details = true;

	private WorkersHealth health() {
		return new WorkersHealth(this::status, (pid) -> {
			this.asked.incrementAndGet();
			String answer = this.answers.get(pid);
			return (answer != null) ? CompletableFuture.completedFuture(answer.getBytes(StandardCharsets.UTF_8))
					: new CompletableFuture<>();
		}, this.registry, Duration.ofMillis(200), this.details, this.maxAge);
	}

	private MasterStatus status() {
		List<MasterStatus.WorkerStatus> workers = new ArrayList<>();
		for (int slot = 0; slot < this.ready.size(); slot++) {
			workers.add(new MasterStatus.WorkerStatus(slot, this.ready.get(slot), WorkerState.READY, 1, 1.0, 0.5, 0, 0,
					null, null, null, null));
		}
		return new MasterStatus(1, MasterState.RUNNING, 1, workers.size(), this.minReady, workers, null, null, null, 0,
				null);
	}

	private static String document(String dbStatus) {
		return "{\"components\":{\"db\":{\"status\":\"" + dbStatus + "\",\"details\":{\"database\":\"H2\"}},"
				+ "\"ping\":{\"status\":\"UP\"}}}";
	}

	private Health component(String name) {
		return ((HealthIndicator) this.registry.getContributor(name)).health();
	}

	@Test
	void aComponentOfTheWorkersAppearsUnderItsOwnNameWithEachWorkersDetails() {
		this.answers.put(1001L, document("UP"));
		this.answers.put(1002L, document("UP"));
		WorkersHealth health = health();
		health.workerReady(1001L);
		assertThat(this.registry.getContributor("db")).isNotNull();
		Health db = component("db");
		assertThat(db.getStatus()).isEqualTo(Status.UP);
		assertThat(db.getDetails()).containsEntry("upWorkers", 2).containsEntry("minReadyWorkers", 1);
		@SuppressWarnings("unchecked")
		Map<String, Map<String, Object>> workers = (Map<String, Map<String, Object>>) db.getDetails().get("workers");
		assertThat(workers).containsOnlyKeys("0", "1");
		assertThat(workers.get("1")).containsEntry("pid", 1002L)
			.containsEntry("status", "UP")
			.containsEntry("details", Map.of("database", "H2"));
	}

	@Test
	void theApplicationsDetailsAreShownOnlyWhenTheUserShowsDetails() {
		this.details = false;
		this.answers.put(1001L, document("DOWN"));
		this.answers.put(1002L, document("UP"));
		health().workerReady(1001L);
		@SuppressWarnings("unchecked")
		Map<String, Map<String, Object>> workers = (Map<String, Map<String, Object>>) component("db").getDetails()
			.get("workers");
		assertThat(workers.get("0")).containsOnlyKeys("status", "pid").containsEntry("status", "DOWN");
	}

	@Test
	void aWorkerCannotNameAGroupMemberPathNorFakeItsPidNorShowMoreThanTheCap() {
		StringBuilder many = new StringBuilder("{\"components\":{\"livenessState/x\":{\"status\":\"DOWN\"},"
				+ "\"db\":{\"status\":\"UP\",\"pid\":1}");
		for (int i = 0; i < 200; i++) {
			many.append(",\"c").append(i).append("\":{\"status\":\"UP\"}");
		}
		this.answers.put(1001L, many.append("}}").toString());
		this.answers.put(1002L, many.toString());
		health().workerReady(1001L);
		assertThat(this.registry.getContributor("livenessState/x")).isNull();
		assertThat(this.registry.stream().count()).as("ping, and at most the cap of the workers'")
			.isLessThanOrEqualTo(1 + WorkersHealth.MAX_COMPONENTS);
		@SuppressWarnings("unchecked")
		Map<String, Map<String, Object>> workers = (Map<String, Map<String, Object>>) component("db").getDetails()
			.get("workers");
		assertThat(workers.get("0")).containsEntry("pid", 1001L);
	}

	@Test
	void theMastersOwnComponentsStayTheMasters() {
		this.answers.put(1001L, document("UP"));
		HealthIndicator ping = (HealthIndicator) this.registry.getContributor("ping");
		health().workerReady(1001L);
		assertThat(this.registry.getContributor("ping")).isSameAs(ping);
	}

	@Test
	void aComponentIsDownWhenFewerThanMinReadyWorkersReportItUp() {
		this.answers.put(1001L, document("UP"));
		this.answers.put(1002L, document("DOWN"));
		health().workerReady(1001L);
		assertThat(component("db").getStatus()).isEqualTo(Status.UP);
		this.minReady = 2;
		assertThat(component("db").getStatus()).isEqualTo(Status.DOWN);
	}

	@Test
	void aWorkerThatDoesNotAnswerInTimeCountsAsNotUpAndSaysWhy() {
		this.answers.put(1001L, document("UP"));
		this.minReady = 2;
		health().workerReady(1001L);
		Health db = component("db");
		assertThat(db.getStatus()).isEqualTo(Status.DOWN);
		assertThat(db.getDetails().get("workers").toString()).contains("no answer within 200 ms");
	}

	@Test
	void oneRoundOfAnswersServesEveryComponentOfOneHealthRequest() {
		this.maxAge = Duration.ofMinutes(1);
		this.answers.put(1001L, "{\"components\":{\"db\":{\"status\":\"UP\"},\"mail\":{\"status\":\"UP\"}}}");
		this.answers.put(1002L, "{\"components\":{\"db\":{\"status\":\"UP\"},\"mail\":{\"status\":\"UP\"}}}");
		health().workerReady(1001L);
		this.asked.set(0);
		component("db");
		component("mail");
		assertThat(this.asked).hasValue(2);
	}

	@Test
	void aComponentNoWorkerReportsAnyMoreIsRemoved() {
		this.answers.put(1001L, document("UP"));
		this.answers.put(1002L, document("UP"));
		health().workerReady(1001L);
		component("db");
		// a reload to code without a database
		this.answers.put(1001L, "{\"components\":{\"ping\":{\"status\":\"UP\"}}}");
		this.answers.put(1002L, "{\"components\":{\"ping\":{\"status\":\"UP\"}}}");
		assertThat(this.registry.stream().map(HealthContributors.Entry::name)).contains("db");
		component("db");
		assertThat(this.registry.getContributor("db")).isNull();
	}

	@Test
	void anAnswerThatIsNotAHealthDocumentIsAnErrorOfThatWorker() {
		this.answers.put(1001L, document("UP"));
		this.answers.put(1002L, "not json");
		health().workerReady(1001L);
		Health db = component("db");
		assertThat(db.getDetails().get("workers").toString()).contains("not a health document");
		assertThat(db.getDetails()).containsEntry("upWorkers", 1);
	}

}
