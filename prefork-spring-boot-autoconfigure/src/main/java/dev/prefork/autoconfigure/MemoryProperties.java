package dev.prefork.autoconfigure;

import org.springframework.util.unit.DataSize;

/**
 * How the master divides memory among its workers.
 */
public class MemoryProperties {

	/**
	 * Whether the master sizes each worker's max heap from the memory limit (unless the
	 * user set a heap option for workers) and refuses worker counts that do not fit.
	 */
	private boolean sizeWorkers = true;

	/**
	 * Memory the master and all its workers must fit in. Defaults to the memory limit of
	 * the master's cgroup (a container's limit, systemd's MemoryMax=), else the physical
	 * memory.
	 */
	private DataSize limit;

	/**
	 * Most of the limit that the workers' max heaps may take together; the rest is for the
	 * master and each worker's non-heap memory.
	 */
	private double heapFraction = 0.75;

	/**
	 * Memory a worker takes beside its heap (metaspace, code cache, thread stacks, GC
	 * structures, direct buffers), counted against the limit for each worker.
	 */
	private DataSize workerNonHeap = DataSize.ofMegabytes(200);

	/**
	 * Memory counted against the limit for the master itself.
	 */
	private DataSize masterReserve = DataSize.ofMegabytes(200);

	/**
	 * Smallest max heap a worker is started with: a worker count that would give workers
	 * less does not fit.
	 */
	private DataSize minWorkerHeap = DataSize.ofMegabytes(64);

	public boolean isSizeWorkers() {
		return this.sizeWorkers;
	}

	public void setSizeWorkers(boolean sizeWorkers) {
		this.sizeWorkers = sizeWorkers;
	}

	public DataSize getLimit() {
		return this.limit;
	}

	public void setLimit(DataSize limit) {
		this.limit = limit;
	}

	public double getHeapFraction() {
		return this.heapFraction;
	}

	public void setHeapFraction(double heapFraction) {
		this.heapFraction = heapFraction;
	}

	public DataSize getWorkerNonHeap() {
		return this.workerNonHeap;
	}

	public void setWorkerNonHeap(DataSize workerNonHeap) {
		this.workerNonHeap = workerNonHeap;
	}

	public DataSize getMasterReserve() {
		return this.masterReserve;
	}

	public void setMasterReserve(DataSize masterReserve) {
		this.masterReserve = masterReserve;
	}

	public DataSize getMinWorkerHeap() {
		return this.minWorkerHeap;
	}

	public void setMinWorkerHeap(DataSize minWorkerHeap) {
		this.minWorkerHeap = minWorkerHeap;
	}

	void validate() {
		if (this.limit != null && this.limit.toBytes() <= 0) {
			throw PreforkProperties.invalid("memory.limit", this.limit, "must be positive, such as 2GB");
		}
		if (!(this.heapFraction > 0 && this.heapFraction <= 1)) {
			throw PreforkProperties.invalid("memory.heap-fraction", this.heapFraction, "must be above 0 and at most 1, such as 0.75");
		}
		for (DataSize size : new DataSize[] { this.workerNonHeap, this.masterReserve, this.minWorkerHeap }) {
			if (size == null || size.isNegative()) {
				throw PreforkProperties.invalid("memory", size, "worker-non-heap, master-reserve and min-worker-heap must be 0 or more");
			}
		}
	}

}
