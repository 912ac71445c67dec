package dev.prefork.master;

/**
 * How the master divides memory among its workers ({@code prefork.memory.*}): out of the
 * limit (a cgroup's, or the machine's), the master's reserve and each worker's non-heap
 * memory come first, and the workers' max heaps together take at most {@code heapFraction}
 * of the limit. A JVM left to itself takes a quarter of the limit as its max heap, whatever
 * else shares it: N workers then may grow to N quarters.
 *
 * @param limitBytes the memory all of it must fit in; 0 when the master does not size workers
 * @param limitSource where the limit comes from, for the log ({@code prefork.memory.limit},
 * {@code cgroup memory.max}, {@code a third of the physical memory (24576 MiB)})
 * @param masterReserveBytes what the master itself takes
 * @param nonHeapBytes what a worker takes beside its heap: metaspace, code cache, thread
 * stacks, GC structures, direct buffers
 * @param heapFraction the most of the limit the workers' max heaps may take together
 * @param minHeapBytes the smallest max heap worth starting a worker with
 * @param userHeapOption the heap option the user gave workers ({@code -Xmx512m}), or null
 * when the master sizes their heaps
 * @param userMaxHeapBytes the max heap that option gives, or -1 if it cannot be told (a
 * percentage)
 */
public record MemoryBudget(long limitBytes, String limitSource, long masterReserveBytes, long nonHeapBytes,
		double heapFraction, long minHeapBytes, String userHeapOption, long userMaxHeapBytes) {

	private static final long MIB = 1024 * 1024;

	/** The master sizes nothing and checks nothing. */
	public static final MemoryBudget NONE = new MemoryBudget(0, "none", 0, 0, 1, 0, null, -1);

	/** Whether there is a limit to check workers against. */
	public boolean isEnabled() {
		return this.limitBytes > 0;
	}

	/**
	 * The max heap for each of {@code workers} workers: the master's choice, or the user's.
	 * @return bytes, a whole number of MiB, or -1 when neither the master nor the user's option
	 * tells it
	 */
	public long heapFor(int workers) {
		if (this.userHeapOption != null || !isEnabled()) {
			return this.userMaxHeapBytes;
		}
		workers = Math.max(1, workers); // 0 while WINCH has stopped them all
		long byFraction = (long) (this.limitBytes * this.heapFraction) / workers;
		long byRest = (this.limitBytes - this.masterReserveBytes - workers * this.nonHeapBytes) / workers;
		return Math.max(0, Math.min(byFraction, byRest)) / MIB * MIB;
	}

	/** The max heap option the master gives a worker of {@code workers}, or null if it gives none. */
	public String heapOptionFor(int workers) {
		return (this.userHeapOption == null && isEnabled()) ? "-Xmx" + heapFor(workers) / MIB + "m" : null;
	}

	/**
	 * Why {@code workers} workers do not fit the limit, or {@code null} if they do (or nothing
	 * can be told: no limit, or a heap option of the user's that is a percentage).
	 */
	public String fitProblem(int workers) {
		long heap = heapFor(workers);
		if (!isEnabled() || heap < 0) {
			return null;
		}
		if (this.userHeapOption != null) {
			long needed = this.masterReserveBytes + workers * (heap + this.nonHeapBytes);
			return (needed <= this.limitBytes) ? null : workers + " workers with " + this.userHeapOption + " need "
					+ mib(needed) + " (the master's " + mib(this.masterReserveBytes) + " + " + workers + " × ("
					+ mib(heap) + " heap + " + mib(this.nonHeapBytes) + " non-heap)), more than the memory limit of "
					+ mib(this.limitBytes) + " (" + this.limitSource + ")";
		}
		return (heap >= this.minHeapBytes) ? null : workers + " workers do not fit the memory limit of "
				+ mib(this.limitBytes) + " (" + this.limitSource + "): after the master's " + mib(this.masterReserveBytes)
				+ " and " + mib(this.nonHeapBytes) + " of non-heap memory per worker, each would get a heap of " + mib(heap)
				+ ", less than prefork.memory.min-worker-heap (" + mib(this.minHeapBytes) + ")";
	}

	/** What the status shows of the budget for {@code workers}, or null when workers size themselves. */
	public MasterStatus.MemoryStatus status(int workers) {
		if (!isEnabled()) {
			return null;
		}
		long heap = heapFor(workers);
		return new MasterStatus.MemoryStatus(limitBytes(), limitSource(), (heap >= 0) ? heap : null,
				(userHeapOption() != null) ? "user" : "prefork");
	}

	/** One line for the boot log. */
	public String describe(int workers) {
		if (!isEnabled()) {
			return "workers size their own heaps (no memory limit)";
		}
		String heap = (this.userHeapOption != null) ? "the heap of " + this.userHeapOption + " (set by the user)"
				: "a max heap of " + mib(heapFor(workers)) + " (at most " + Math.round(this.heapFraction * 100)
						+ " % of the limit for all heaps)";
		return "memory limit " + mib(this.limitBytes) + " (" + this.limitSource + "): the master's "
				+ mib(this.masterReserveBytes) + ", then " + workers + " workers with " + heap + " and "
				+ mib(this.nonHeapBytes) + " of non-heap memory each";
	}

	static String mib(long bytes) {
		return (bytes / MIB) + " MiB";
	}

}
