package dev.prefork.master;

/**
 * The share of the machine each worker gets, and the memory above which it is replaced.
 *
 * @param memory how memory is divided
 * @param cpu how processors are divided
 * @param recycleAboveBytes a ready worker whose resident memory goes above this is replaced,
 * readiness-gated ({@code prefork.max-worker-memory}); 0 for never
 * @param killAboveBytes a worker whose resident memory goes above this is killed at once and
 * replaced ({@code prefork.max-worker-memory-kill}); 0 for never
 */
public record WorkerBudget(MemoryBudget memory, CpuShare cpu, long recycleAboveBytes, long killAboveBytes) {

	public static final WorkerBudget NONE = new WorkerBudget(MemoryBudget.NONE, CpuShare.NONE, 0, 0);

	/** What a worker started now, while the master keeps {@code workers} workers, gets. */
	public WorkerResources resourcesFor(int workers) {
		return new WorkerResources(this.memory.heapOptionFor(workers), this.memory.heapFor(workers),
				this.cpu.processorsFor(workers), this.cpu.virtualThreadCarriersFor(workers), this.cpu.requestThreadsFor(workers));
	}

	/**
	 * What the master gives one worker.
	 *
	 * @param heapOption the max heap option the master adds ({@code -Xmx256m}), or null
	 * @param maxHeapBytes the worker's max heap, the master's or the user's, or -1 if unknown
	 * @param processors {@code -XX:ActiveProcessorCount}, or -1 for none
	 * @param virtualThreadCarriers {@code -Djdk.virtualThreadScheduler.parallelism}, or -1 for none
	 * @param requestThreads the default of {@code server.tomcat.threads.max} and
	 * {@code server.jetty.threads.max}, or -1 for none
	 */
	public record WorkerResources(String heapOption, long maxHeapBytes, int processors, int virtualThreadCarriers,
			int requestThreads) {

		public static final WorkerResources NONE = new WorkerResources(null, -1, -1, -1, -1);

	}

}
