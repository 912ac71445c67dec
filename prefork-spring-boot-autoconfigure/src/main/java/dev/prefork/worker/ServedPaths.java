package dev.prefork.worker;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import dev.prefork.protocol.ChannelProtocol;

/**
 * The paths of the GET requests this worker answered with 2xx since its last report, for
 * the master's list of warm-up paths ({@code prefork.warmup.record}). Only the path is kept:
 * no query string (it may carry a token), no header; at most {@link #MAX_PATHS} distinct
 * paths between reports, so an application with endless distinct URLs costs a bounded map.
 */
final class ServedPaths {

	static final int MAX_PATHS = 256;

	/** Paths per report. */
	static final int REPORTED = ChannelProtocol.MAX_REPORTED_PATHS;

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

	/** A path as the master accepts it: see {@link ChannelProtocol#isPath}. */
	static boolean isRecordable(String path) {
		return ChannelProtocol.isPath(path);
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
