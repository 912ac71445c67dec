package dev.prefork.master;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The master's workers by id. Owned by the master thread; workers leave it only when reaped.
 */
final class WorkerTable {

	private final Map<Long, Worker> workers = new LinkedHashMap<>();

	void add(Worker worker) {
		this.workers.put(worker.id, worker);
	}

	Optional<Worker> get(long id) {
		return Optional.ofNullable(this.workers.get(id));
	}

	Optional<Worker> remove(long id) {
		return Optional.ofNullable(this.workers.remove(id));
	}

	/** The booting and ready workers of a slot, oldest first. */
	List<Worker> active(int slot) {
		return this.workers.values().stream().filter((worker) -> worker.slot == slot && worker.isActive()).toList();
	}

	List<Worker> active() {
		return this.workers.values().stream().filter(Worker::isActive).toList();
	}

	long count(WorkerState state) {
		return this.workers.values().stream().filter((worker) -> worker.state == state).count();
	}

	boolean isEmpty() {
		return this.workers.isEmpty();
	}

	int size() {
		return this.workers.size();
	}

	/** A copy, so the caller may change the table while iterating. */
	List<Worker> all() {
		return new ArrayList<>(this.workers.values());
	}

	Collection<Worker> view() {
		return Collections.unmodifiableCollection(this.workers.values());
	}

}
