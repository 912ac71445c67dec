package dev.prefork.worker;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The paths of the GET requests this worker answered with 2xx since its last report, for
 * the master's list of warm-up paths ({@code prefork.warmup.record}). Only the path is kept:
 * no query string (it may carry a token), no header; at most {@link #MAX_PATHS} distinct
 * paths between reports, so an application with endless distinct URLs costs a bounded map.
 */
final class ServedPaths {

	static final int MAX_PATHS = 256;

	static final int MAX_LENGTH = 256;

	/** Paths per report. */
	static final int REPORTED = 20;

	private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

	void record(String path) {
		LongAdder count = this.counts.get(path);
		if (count == null) {
			if (this.counts.size() >= MAX_PATHS || !isRecordable(path)) {
				return;
			}
			count = this.counts.computeIfAbsent(path, (key) -> new LongAdder());
		}
		count.increment();
	}

	/** A path as the master accepts it: starts with /, printable ASCII without spaces, not too long. */
	static boolean isRecordable(String path) {
		if (path == null || path.isEmpty() || path.charAt(0) != '/' || path.length() > MAX_LENGTH) {
			return false;
		}
		for (int i = 0; i < path.length(); i++) {
			char c = path.charAt(i);
			if (c <= ' ' || c > '~') {
				return false;
			}
		}
		return true;
	}

	/** The most frequent paths since the last call, most frequent first, and starts counting again. */
	List<Map.Entry<String, Long>> drain() {
		List<Map.Entry<String, Long>> top = this.counts.entrySet()
			.stream()
			.map((entry) -> Map.entry(entry.getKey(), entry.getValue().sum()))
			.sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
			.limit(REPORTED)
			.toList();
		this.counts.clear();
		return top;
	}

}
