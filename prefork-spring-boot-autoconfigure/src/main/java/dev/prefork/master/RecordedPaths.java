package dev.prefork.master;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.prefork.protocol.ChannelProtocol;

/**
 * The GET paths the live workers answered most often ({@code prefork.warmup.record}), which
 * every new worker and training run warms up with. Paths only, as the workers report them:
 * no query string, no header. Bounded: at most {@link #MAX_PATHS} paths are counted (a
 * new one replaces the least counted), and counts are halved when they grow large, so
 * that today's traffic outweighs last week's. Called from the workers' channel readers and
 * the archive builder: thread-safe.
 */
public final class RecordedPaths {

	static final int MAX_PATHS = 1000;

	/** Paths handed to a new worker. */
	public static final int HANDED_OUT = 20;

	/** A path seen fewer times is not handed out: a one-off URL is not worth warming up (nor exposing). */
	static final long MIN_COUNT = 5;

	static final int MAX_LENGTH = ChannelProtocol.MAX_PATH_LENGTH;

	private static final long HALVE_ABOVE = 1L << 40;

	private final Map<String, Long> counts = new HashMap<>();

	/**
	 * The paths an old master handed over in an upgrade (USR2), most frequent first, one a
	 * line: they keep their order, as if each had been seen just often enough.
	 * @param handedOver the old master's list, or null
	 */
	public static RecordedPaths seededWith(String handedOver) {
		RecordedPaths paths = new RecordedPaths();
		if (handedOver != null) {
			List<String> list = List.of(handedOver.split("\n"));
			for (int i = 0; i < list.size() && i < HANDED_OUT; i++) {
				paths.add(list.get(i), MIN_COUNT + HANDED_OUT - i);
			}
		}
		return paths;
	}

	/**
	 * Adds a worker's report.
	 * @return false if the path or count is not one a worker could have sent (ignored)
	 */
	public synchronized boolean add(String path, long count) {
		if (!isPath(path) || count < 1 || count > Integer.MAX_VALUE) {
			return false;
		}
		if (!this.counts.containsKey(path) && this.counts.size() >= MAX_PATHS) {
			String least = this.counts.entrySet().stream().min(Map.Entry.comparingByValue()).get().getKey();
			this.counts.remove(least);
		}
		long total = this.counts.merge(path, count, Long::sum);
		if (total > HALVE_ABOVE) {
			this.counts.replaceAll((key, value) -> value / 2);
			this.counts.values().removeIf((value) -> value == 0);
		}
		return true;
	}

	/** The most frequent paths, most frequent first, at most {@link #HANDED_OUT}. */
	public synchronized List<String> top() {
		return this.counts.entrySet()
			.stream()
			.filter((entry) -> entry.getValue() >= MIN_COUNT)
			.sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
				.thenComparing(Map.Entry.comparingByKey()))
			.limit(HANDED_OUT)
			.map(Map.Entry::getKey)
			.collect(ArrayList::new, ArrayList::add, ArrayList::addAll);
	}

	/** See {@link ChannelProtocol#isPath}. */
	static boolean isPath(String path) {
		return ChannelProtocol.isPath(path);
	}

}
