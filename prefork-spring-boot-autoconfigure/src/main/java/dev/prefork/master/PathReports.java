package dev.prefork.master;

import java.util.Map;

import dev.prefork.protocol.ChannelProtocol;

/**
 * One worker's {@code PATHS} reports on their way to the master's {@link RecordedPaths}. A
 * worker is the application's code: unchecked, one line such as {@code PATHS 1000000 /evil}
 * would put any path at the top of the warm-up list of every later worker. So a malformed
 * line is refused whole, and a report may not count more requests than the worker's own
 * heartbeats say it served since its last accepted report. Used by that worker's channel
 * reader only.
 */
public final class PathReports {

	private final RecordedPaths paths;

	/** Requests served, as the latest heartbeat said. */
	private long served;

	/** Requests counted by the reports accepted so far. */
	private long reported;

	public PathReports(RecordedPaths paths) {
		this.paths = paths;
	}

	/** A heartbeat's count of requests served. */
	public void heartbeat(long served) {
		this.served = Math.max(this.served, served);
	}

	/**
	 * Records a {@code PATHS} line, or none of it.
	 * @return null if recorded, otherwise why the line was refused
	 */
	public String report(String line) {
		Map<String, Long> counts = ChannelProtocol.paths(line);
		if (counts == null) {
			return "malformed (at most " + ChannelProtocol.MAX_REPORTED_PATHS
					+ " distinct '<count> <path>' pairs, counts from 1, paths of printable ASCII starting with /)";
		}
		long total = counts.values().stream().mapToLong(Long::longValue).sum();
		long unreported = this.served - this.reported;
		if (total > unreported) {
			return "it counts " + total + " requests, but the worker's heartbeats show " + unreported
					+ " served since its last report";
		}
		this.reported += total;
		counts.forEach(this.paths::add);
		return null;
	}

}
