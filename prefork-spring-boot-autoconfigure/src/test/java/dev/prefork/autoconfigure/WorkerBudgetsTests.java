package dev.prefork.autoconfigure;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.prefork.master.WorkerBudget;
import org.junit.jupiter.api.Test;

import org.springframework.mock.env.MockEnvironment;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

class WorkerBudgetsTests {

	private static final long GIB = 1L << 30;

	private final PreforkProperties properties = new PreforkProperties();

	private final MockEnvironment environment = new MockEnvironment();

	private WorkerBudget budget(List<String> masterOptions, Map<String, String> variables) {
		return WorkerBudgets.of(this.properties, this.environment, masterOptions, variables, Optional.empty(), 24 * GIB, 2);
	}

	@Test
	void withoutALimitAThirdOfThePhysicalMemoryIsTheBudgetSoThatOneWorkerGetsAPlainJvmsHeap() {
		WorkerBudget budget = budget(List.of(), Map.of());
		assertThat(budget.memory().limitBytes()).isEqualTo(8 * GIB);
		assertThat(budget.memory().limitSource()).isEqualTo("a third of the physical memory (24576 MiB)");
		assertThat(budget.memory().heapOptionFor(1)).as("the JVM's own default: a quarter of the memory")
			.isEqualTo("-Xmx6144m");
		assertThat(budget.memory().heapOptionFor(3)).isEqualTo("-Xmx2048m");
		assertThat(budget.cpu().processorsFor(2)).isEqualTo(1);
	}

	@Test
	void prefork_memory_limitWins() {
		this.properties.getMemory().setLimit(DataSize.ofGigabytes(2));
		assertThat(budget(List.of(), Map.of()).memory().limitSource()).isEqualTo("prefork.memory.limit");
		assertThat(budget(List.of(), Map.of()).memory().heapFor(2)).isEqualTo(724L << 20);
	}

	/** Each prefork.memory.* setting, with values no two of which could be swapped unnoticed. */
	@Test
	void everyMemorySettingReachesTheBudgetInItsOwnPlace() {
		MemoryProperties memory = this.properties.getMemory();
		memory.setLimit(DataSize.ofGigabytes(2));
		memory.setMasterReserve(DataSize.ofMegabytes(300));
		memory.setWorkerNonHeap(DataSize.ofMegabytes(100));
		memory.setHeapFraction(0.9);
		memory.setMinWorkerHeap(DataSize.ofMegabytes(500));
		dev.prefork.master.MemoryBudget budget = budget(List.of(), Map.of()).memory();
		assertThat(budget.masterReserveBytes()).isEqualTo(300L << 20);
		assertThat(budget.nonHeapBytes()).isEqualTo(100L << 20);
		assertThat(budget.heapFraction()).isEqualTo(0.9);
		assertThat(budget.minHeapBytes()).isEqualTo(500L << 20);
		// (2048 - 300 - 2 × 100) / 2 = 774 MiB, below 90 % of 2048 / 2: the reserve and the
		// non-heap share bound it (swapped, it would be 674)
		assertThat(budget.heapFor(2)).isEqualTo(774L << 20);
		// 3 workers get (2048 - 300 - 300) / 3 = 482 MiB, less than the 500 MiB minimum
		assertThat(budget.fitProblem(2)).isNull();
		assertThat(budget.fitProblem(3)).contains("each would get a heap of 482 MiB")
			.contains("prefork.memory.min-worker-heap (500 MiB)");
		// a fraction below the rest bounds it: 50 % of 2048 / 2 = 512 MiB
		memory.setHeapFraction(0.5);
		assertThat(budget(List.of(), Map.of()).memory().heapFor(2)).isEqualTo(512L << 20);
	}

	@Test
	void aHeapOptionAnywhereLeavesTheHeapToTheUser() {
		assertThat(budget(List.of("-Xmx1g"), Map.of()).memory().userHeapOption()).isEqualTo("-Xmx1g");
		assertThat(budget(List.of("-Xmx1g"), Map.of()).memory().userMaxHeapBytes()).isEqualTo(GIB);
		assertThat(budget(List.of(), Map.of("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=40")).memory().userHeapOption())
			.isEqualTo("-XX:MaxRAMPercentage=40");
		assertThat(budget(List.of("-Xmx2g"), Map.of("_JAVA_OPTIONS", "-Xmx512m")).memory().userMaxHeapBytes())
			.as("_JAVA_OPTIONS comes last").isEqualTo(512L << 20);
		this.properties.getWorker().setJvmArgs("-XX:MaxHeapSize=268435456 -XX:ActiveProcessorCount=2");
		WorkerBudget budget = budget(List.of("-Xmx1g"), Map.of());
		assertThat(budget.memory().userMaxHeapBytes()).isEqualTo(256L << 20);
		assertThat(budget.cpu().processorsFor(2)).isEqualTo(-1);
		assertThat(budget.resourcesFor(2).heapOption()).isNull();
	}

	@Test
	void sizingCanBeTurnedOff() {
		this.properties.getMemory().setSizeWorkers(false);
		this.properties.getWorker().setShareCpus(false);
		WorkerBudget budget = budget(List.of(), Map.of());
		assertThat(budget.memory().isEnabled()).isFalse();
		assertThat(budget.resourcesFor(4)).isEqualTo(WorkerBudget.WorkerResources.NONE);
	}

	@Test
	void readyWorkersGoTenNiceLevelsDownUnlessSetOtherwise() {
		assertThat(budget(List.of(), Map.of()).cpu().readyNice()).isEqualTo(10);
		this.properties.getWorker().setReadyNice(0);
		assertThat(budget(List.of(), Map.of()).cpu().readyNice()).isZero();
	}

	@Test
	void requestThreadsOfTheUsersAreLeftAlone() {
		assertThat(budget(List.of(), Map.of()).cpu().requestThreadsFor(2)).isEqualTo(100);
		this.environment.setProperty("server.tomcat.threads.max", "50");
		assertThat(budget(List.of(), Map.of()).cpu().requestThreadsFor(2)).isEqualTo(-1);
	}

	@Test
	void parsesHeapSizes() {
		assertThat(WorkerBudgets.maxHeapBytes("-Xmx512m")).isEqualTo(512L << 20);
		assertThat(WorkerBudgets.maxHeapBytes("-Xmx2G")).isEqualTo(2L << 30);
		assertThat(WorkerBudgets.maxHeapBytes("-XX:MaxHeapSize=1000")).isEqualTo(1000);
		assertThat(WorkerBudgets.maxHeapBytes("-Xms512m")).isEqualTo(-1);
		assertThat(WorkerBudgets.maxHeapBytes("-Xmxlots")).isEqualTo(-1);
	}

	@Test
	void warnsWhenThePoolsExceedTheDatabase() {
		assertThat(WorkerBudgets.poolWarning(this.properties, this.environment, 4)).isNull();
		this.properties.getDatasource().setMaxConnections(30);
		assertThat(WorkerBudgets.poolWarning(this.properties, this.environment, 3)).isNull();
		assertThat(WorkerBudgets.poolWarning(this.properties, this.environment, 4)).isEqualTo("4 workers × 10 connections "
				+ "(spring.datasource.hikari.maximum-pool-size) = 40, more than prefork.datasource.max-connections (30): "
				+ "set spring.datasource.hikari.maximum-pool-size to at most 7");
	}

}
