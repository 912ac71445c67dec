package dev.prefork.status;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import tools.jackson.databind.JsonNode;

/**
 * The master's status document ({@code GET /actuator/prefork}) as a person reads it at a
 * glance: a line about the master, then a line per worker. Plain text without colours or
 * cursor moves, so it reads the same in a pipe, a log and {@code watch}.
 */
public final class StatusTable {

	private static final String[] HEADINGS = { "SLOT", "PID", "GEN", "STATE", "AGE", "REQUESTS", "INFLIGHT", "RSS",
			"HEAP MAX", "HEARTBEAT" };

	private StatusTable() {
	}

	/** The table of {@code status}, one line each, ending with a line break. */
	public static String render(JsonNode status) {
		StringBuilder out = new StringBuilder();
		JsonNode workers = status.path("workers");
		long ready = 0;
		for (JsonNode worker : workers) {
			ready += worker.path("state").asString("").equals("ready") ? 1 : 0;
		}
		out.append("master ").append(status.path("pid").asLong()).append(", ").append(text(status.path("state")))
			.append(", generation ").append(status.path("generation").asInt()).append(": ").append(ready)
			.append(" of ").append(status.path("targetWorkers").asInt()).append(" workers ready (min-ready-workers ")
			.append(status.path("minReadyWorkers").asInt()).append(")");
		JsonNode memory = status.path("memory");
		if (memory.isObject()) {
			out.append("; memory limit ").append(mib(memory.path("limitBytes"))).append(" (")
				.append(text(memory.path("source"))).append(")");
		}
		out.append('\n');
		JsonNode reload = status.path("lastReload");
		if (reload.isObject()) {
			out.append("last reload: generation ").append(reload.path("generation").asInt()).append(' ')
				.append(text(reload.path("strategy"))).append(' ').append(text(reload.path("result")))
				.append(" in ").append(reload.path("durationSeconds").asDouble()).append(" s at ")
				.append(text(reload.path("finishedAt"))).append(": ").append(text(reload.path("message")))
				.append('\n');
		}
		JsonNode upgrade = status.path("upgrade");
		if (upgrade.isObject()) {
			out.append("upgrading: new master ").append(upgrade.path("newMasterPid").asLong())
				.append(upgrade.path("newMasterReady").asBoolean() ? " ready" : " starting").append(", for ")
				.append(age(upgrade.path("ageSeconds").asDouble())).append('\n');
		}
		if (status.path("upgradedFrom").isNumber()) {
			out.append("new master of an upgrade from pid ").append(status.path("upgradedFrom").asLong())
				.append(", not promoted yet\n");
		}
		List<String[]> rows = new ArrayList<>();
		rows.add(HEADINGS);
		for (JsonNode worker : workers) {
			JsonNode heartbeat = worker.path("heartbeatAgeSeconds");
			rows.add(new String[] { worker.path("slot").asString(), worker.path("pid").asString(),
					worker.path("generation").asString(), text(worker.path("state")),
					age(worker.path("ageSeconds").asDouble()), worker.path("requests").asString(),
					worker.path("inflight").asString(), mib(worker.path("residentMemoryBytes")),
					mib(worker.path("maxHeapBytes")),
					heartbeat.isNumber() ? String.format(Locale.ROOT, "%.1fs ago", heartbeat.asDouble()) : "-" });
		}
		int[] widths = new int[HEADINGS.length];
		for (String[] row : rows) {
			for (int i = 0; i < row.length; i++) {
				widths[i] = Math.max(widths[i], row[i].length());
			}
		}
		for (String[] row : rows) {
			StringBuilder line = new StringBuilder();
			for (int i = 0; i < row.length; i++) {
				line.append(row[i]).append(" ".repeat(widths[i] - row[i].length() + 2));
			}
			out.append(line.toString().stripTrailing()).append('\n');
		}
		return out.toString();
	}

	/** {@code 42s}, {@code 12m05s}, {@code 3h04m}, {@code 2d03h}: as long as it needs, no longer. */
	static String age(double seconds) {
		long s = (long) seconds;
		if (s < 60) {
			return s + "s";
		}
		if (s < 3600) {
			return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
		}
		if (s < 86400) {
			return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
		}
		return String.format(Locale.ROOT, "%dd%02dh", s / 86400, (s % 86400) / 3600);
	}

	/**
	 * A text field of the document as it may go to a terminal: control characters (escape
	 * sequences), C1 controls and bidirectional overrides become {@code ?}. The last reload's
	 * message quotes the configuration that failed, which may hold anything.
	 */
	static String printable(String text) {
		StringBuilder out = new StringBuilder(text.length());
		text.codePoints().forEach((c) -> out.appendCodePoint((c < 0x20 || (c >= 0x7f && c <= 0x9f)
				|| (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) ? '?' : c));
		return out.toString();
	}

	private static String text(JsonNode node) {
		return printable(node.asString(""));
	}

	private static String mib(JsonNode bytes) {
		return bytes.isNumber() ? (bytes.asLong() >> 20) + " MiB" : "-";
	}

}
