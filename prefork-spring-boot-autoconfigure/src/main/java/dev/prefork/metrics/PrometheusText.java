package dev.prefork.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Merges Prometheus text expositions (format 0.0.4) into one: the master's own, and each
 * worker's with a {@code worker="<slot>"} label added to every sample. The format wants all
 * samples of a family together under one {@code # HELP} and {@code # TYPE}, so families are
 * gathered across the inputs; a family keeps the help and type it was first seen with.
 *
 * <p>
 * A worker's text is the application's, so nothing in it may make the whole scrape invalid
 * (Prometheus rejects a scrape with one bad line, and every metric of every worker is lost).
 * An application label named {@code worker} becomes {@code exported_worker}, as Prometheus
 * itself renames a target's label that clashes ({@code honor_labels: false}). Dropped, and
 * counted per worker in {@link #dropped()}: a line that is no valid sample, a sample outside
 * the family its {@code # TYPE} named, a family whose type differs from the one first seen,
 * and a family of the master's own {@code prefork_} meters.
 */
public final class PrometheusText {

	private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

	private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

	private static final Pattern WORKER_LABEL = Pattern.compile("(exported_)*worker");

	private static final Pattern TIMESTAMP = Pattern.compile("-?[0-9]+");

	private final Map<String, Family> families = new LinkedHashMap<>();

	private final Map<Integer, Integer> dropped = new LinkedHashMap<>();

	/**
	 * Adds an exposition.
	 * @param text the Prometheus text
	 * @param workerSlot the slot to label every sample with, or {@code null} for the master's own
	 */
	public void add(String text, Integer workerSlot) {
		Family family = null;
		String pendingHelp = null;
		for (String raw : text.split("\n")) {
			String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
			if (line.isBlank()) {
				continue;
			}
			if (line.startsWith("# HELP ")) {
				pendingHelp = line;
			}
			else if (line.startsWith("# TYPE ")) {
				family = family(line, pendingHelp, workerSlot);
				pendingHelp = null;
			}
			else if (line.startsWith("#")) {
				continue;
			}
			else if (workerSlot == null) {
				if (family != null) {
					family.samples.add(line);
				}
			}
			else {
				String sample = (family != null) ? withWorker(line, workerSlot, family.name) : null;
				if (sample != null) {
					family.samples.add(sample);
				}
				else {
					this.dropped.merge(workerSlot, 1, Integer::sum);
				}
			}
		}
	}

	/** The family a {@code # TYPE} line opens, or null if its samples are to be dropped. */
	private Family family(String line, String help, Integer workerSlot) {
		String[] fields = line.split(" ", 4);
		if (fields.length < 3 || !METRIC_NAME.matcher(fields[2]).matches()) {
			return null;
		}
		String name = fields[2];
		String type = (fields.length > 3) ? fields[3].trim() : "untyped";
		Family family = this.families.get(name);
		if (family == null) {
			family = new Family(name, type, workerSlot == null);
			this.families.put(name, family);
		}
		if (family.help == null && help != null
				&& (help.equals("# HELP " + name) || help.startsWith("# HELP " + name + " "))) {
			family.help = help;
		}
		boolean reserved = workerSlot != null && family.fromMaster && name.startsWith("prefork_");
		return (!family.type.equals(type) || reserved) ? null : family;
	}

	/** Worker sample lines dropped from the merged text, by slot. */
	public Map<Integer, Integer> dropped() {
		return this.dropped;
	}

	/** The merged exposition. */
	public String render() {
		StringBuilder out = new StringBuilder();
		this.families.forEach((name, family) -> {
			if (family.samples.isEmpty()) {
				return;
			}
			if (family.help != null) {
				out.append(family.help).append('\n');
			}
			out.append("# TYPE ").append(name).append(' ').append(family.type).append('\n');
			family.samples.forEach((sample) -> out.append(sample).append('\n'));
		});
		return out.toString();
	}

	/**
	 * {@code name{a="b"} 1} → {@code name{worker="0",a="b"} 1}; {@code name 1} →
	 * {@code name{worker="0"} 1}; an application's own {@code worker} label is kept as
	 * {@code exported_worker}.
	 * @return the labelled sample, or null if the line is no valid sample of the family
	 */
	static String withWorker(String sample, int slot, String family) {
		int nameEnd = 0;
		while (nameEnd < sample.length() && sample.charAt(nameEnd) != '{' && sample.charAt(nameEnd) != ' ') {
			nameEnd++;
		}
		String name = sample.substring(0, nameEnd);
		if (!METRIC_NAME.matcher(name).matches() || !(name.equals(family) || name.startsWith(family + "_"))) {
			return null;
		}
		StringBuilder out = new StringBuilder(sample.length() + 16).append(name).append("{worker=\"").append(slot)
			.append('"');
		int at = nameEnd;
		if (at < sample.length() && sample.charAt(at) == '{') {
			at = labels(sample, at + 1, out);
			if (at < 0) {
				return null;
			}
		}
		out.append('}');
		String rest = sample.substring(at);
		return isValueAndTimestamp(rest) ? out.append(rest).toString() : null;
	}

	/**
	 * Copies the labels after {@code {}, each prefixed by a comma, renaming {@code worker}.
	 * @return the index after the closing brace, or -1 if the labels are malformed
	 */
	private static int labels(String sample, int from, StringBuilder out) {
		int at = from;
		while (true) {
			if (at >= sample.length()) {
				return -1;
			}
			if (sample.charAt(at) == '}') {
				return at + 1;
			}
			int equals = sample.indexOf('=', at);
			if (equals < 0) {
				return -1;
			}
			String label = sample.substring(at, equals);
			if (!LABEL_NAME.matcher(label).matches() || equals + 1 >= sample.length() || sample.charAt(equals + 1) != '"') {
				return -1;
			}
			int end = equals + 2;
			while (end < sample.length() && sample.charAt(end) != '"') {
				end += (sample.charAt(end) == '\\') ? 2 : 1;
			}
			if (end >= sample.length()) {
				return -1;
			}
			out.append(',').append(WORKER_LABEL.matcher(label).matches() ? "exported_" + label : label)
				.append(sample, equals, end + 1);
			at = end + 1;
			if (at < sample.length() && sample.charAt(at) == ',') {
				at++;
			}
		}
	}

	/** {@code " 1.5"} or {@code " NaN 1700000000"}: a value and an optional timestamp. */
	private static boolean isValueAndTimestamp(String rest) {
		if (!rest.startsWith(" ")) {
			return false;
		}
		String[] fields = rest.trim().split(" +");
		if (fields.length < 1 || fields.length > 2 || (fields.length == 2 && !TIMESTAMP.matcher(fields[1]).matches())) {
			return false;
		}
		String value = fields[0];
		if (value.equals("NaN") || value.equals("+Inf") || value.equals("-Inf")) {
			return true;
		}
		try {
			Double.parseDouble(value);
			return !value.endsWith("d") && !value.endsWith("f") && !value.endsWith("D") && !value.endsWith("F");
		}
		catch (NumberFormatException ex) {
			return false;
		}
	}

	private static final class Family {

		final String name;

		final String type;

		/** Opened by the master's own text: a worker may not add to its {@code prefork_} families. */
		final boolean fromMaster;

		String help;

		final List<String> samples = new ArrayList<>();

		Family(String name, String type, boolean fromMaster) {
			this.name = name;
			this.type = type;
			this.fromMaster = fromMaster;
		}

	}

}
