package dev.prefork.metrics;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
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
 * itself renames a target's label that clashes ({@code honor_labels: false}). Worker samples
 * are re-written in one canonical spelling and kept only if both Prometheus' scrape parser
 * ({@code textparse}) and the format's reference parser ({@code expfmt}, which
 * {@code promtool} uses) accept them: a metric name of the family its {@code # TYPE} named;
 * label names unique, never {@code __name__}, label values with no escape but {@code \\},
 * {@code \"} and {@code \n}; a value Go's {@code ParseFloat} reads without overflow (no hex,
 * no {@code _}, no sign before {@code NaN}); a timestamp of decimal digits within int64; a
 * float {@code le} in a histogram and {@code quantile} in a summary. Dropped, and counted per
 * worker in {@link #dropped()}: every other sample, a sample outside the family its
 * {@code # TYPE} named, a family whose type is unknown or differs from the one first seen, a
 * family of the master's own {@code prefork_} meters, a {@code # HELP} with a bad escape, and a
 * sample named like another family (the reference parser then sees that family's
 * {@code # TYPE} after its samples).
 */
public final class PrometheusText {

	private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

	private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

	private static final Pattern WORKER_LABEL = Pattern.compile("(exported_)*worker");

	private static final Pattern TYPE_LINE = Pattern.compile("# TYPE[ \\t]+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:[ \\t]+(\\S*))?[ \\t]*");

	private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

	/** What Go's {@code strconv.ParseFloat} reads, less hex and {@code _} (Prometheus refuses them). */
	private static final Pattern FLOAT = Pattern
		.compile("[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?i:inf|infinity)|(?i:nan)");

	private static final Pattern TIMESTAMP = Pattern.compile("[0-9]+");

	private final Map<String, Family> families = new LinkedHashMap<>();

	private final Map<Integer, Integer> dropped = new LinkedHashMap<>();

	private boolean settled;

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
				if (workerSlot != null && !isEscaped(line, false)) {
					drop(workerSlot);
				}
				else {
					pendingHelp = line;
				}
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
					family.samples.add(new Sample(sampleName(line), null, line));
				}
			}
			else {
				String sample = (family != null) ? withWorker(line, workerSlot, family.name, family.type) : null;
				if (sample != null) {
					family.samples.add(new Sample(sampleName(sample), workerSlot, sample));
				}
				else {
					drop(workerSlot);
				}
			}
		}
	}

	private void drop(int workerSlot) {
		this.dropped.merge(workerSlot, 1, Integer::sum);
	}

	/** The family a {@code # TYPE} line opens, or null if its samples are to be dropped. */
	private Family family(String line, String help, Integer workerSlot) {
		Matcher fields = TYPE_LINE.matcher(line);
		if (!fields.matches()) {
			return null;
		}
		String name = fields.group(1);
		String type = (fields.group(2) != null) ? fields.group(2) : "";
		if (workerSlot == null && type.isEmpty()) {
			type = "untyped";
		}
		if (!TYPES.contains(type)) {
			return null;
		}
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
		settle();
		return this.dropped;
	}

	/** The merged exposition. */
	public String render() {
		settle();
		StringBuilder out = new StringBuilder();
		this.families.forEach((name, family) -> {
			if (family.samples.isEmpty()) {
				return;
			}
			if (family.help != null) {
				out.append(family.help).append('\n');
			}
			out.append("# TYPE ").append(name).append(' ').append(family.type).append('\n');
			family.samples.forEach((sample) -> out.append(sample.line).append('\n'));
		});
		return out.toString();
	}

	/** Drops, once all texts are in, the worker samples named like another family. */
	private void settle() {
		if (this.settled) {
			return;
		}
		this.settled = true;
		Set<String> rendered = new HashSet<>();
		this.families.forEach((name, family) -> {
			if (!family.samples.isEmpty()) {
				rendered.add(name);
			}
		});
		this.families.forEach((name, family) -> family.samples.removeIf((sample) -> {
			boolean clash = sample.slot != null && !sample.name.equals(name) && rendered.contains(sample.name);
			if (clash) {
				drop(sample.slot);
			}
			return clash;
		}));
	}

	private static String sampleName(String line) {
		int end = 0;
		while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ' && line.charAt(end) != '\t') {
			end++;
		}
		return line.substring(0, end);
	}

	/**
	 * {@code name{a="b"} 1} → {@code name{worker="0",a="b"} 1}; {@code name 1} →
	 * {@code name{worker="0"} 1}; an application's own {@code worker} label is kept as
	 * {@code exported_worker}. Blanks are re-written as one space; see the class Javadoc for
	 * what is valid.
	 * @return the labelled sample, or null if the line is no valid sample of the family
	 */
	static String withWorker(String sample, int slot, String family, String type) {
		Line line = new Line(sample);
		String name = line.match(METRIC_NAME);
		if (name == null || !(name.equals(family) || name.startsWith(family + "_"))) {
			return null;
		}
		StringBuilder out = new StringBuilder(sample.length() + 16).append(name).append("{worker=\"").append(slot)
			.append('"');
		line.blanks();
		if (line.take('{') && !labels(line, type, out)) {
			return null;
		}
		out.append('}');
		line.blanks();
		String value = line.value();
		if (value == null || !isFloat(value)) {
			return null;
		}
		out.append(' ').append(value);
		if (line.blanks() && !line.atEnd()) {
			String timestamp = line.match(TIMESTAMP);
			if (timestamp == null || !isInt64(timestamp)) {
				return null;
			}
			out.append(' ').append(timestamp);
			line.blanks();
		}
		return line.atEnd() ? out.toString() : null;
	}

	/**
	 * Copies the labels after {@code {}, each prefixed by a comma, renaming {@code worker}.
	 * @return false if the labels are malformed
	 */
	private static boolean labels(Line line, String type, StringBuilder out) {
		Set<String> names = new HashSet<>();
		while (true) {
			line.blanks();
			if (line.take('}')) {
				return true;
			}
			String label = line.match(LABEL_NAME);
			line.blanks();
			if (label == null || label.equals("__name__") || !names.add(label) || !line.take('=')) {
				return false;
			}
			line.blanks();
			String value = line.quoted();
			if (value == null) {
				return false;
			}
			boolean bound = (type.equals("histogram") && label.equals("le"))
					|| (type.equals("summary") && label.equals("quantile"));
			if (bound && !isFloat(value.substring(1, value.length() - 1))) {
				return false;
			}
			out.append(',').append(WORKER_LABEL.matcher(label).matches() ? "exported_" + label : label).append('=')
				.append(value);
			line.blanks();
			if (!line.take(',') && !line.peek('}')) {
				return false;
			}
		}
	}

	/** A value or label bound Go's {@code ParseFloat} reads, as Prometheus does: no overflow to infinity. */
	private static boolean isFloat(String value) {
		if (!FLOAT.matcher(value).matches()) {
			return false;
		}
		char last = Character.toLowerCase(value.charAt(value.length() - 1));
		return last == 'n' || last == 'f' || last == 'y' || Double.isFinite(Double.parseDouble(value));
	}

	private static boolean isInt64(String digits) {
		try {
			Long.parseLong(digits);
			return true;
		}
		catch (NumberFormatException ex) {
			return false;
		}
	}

	/**
	 * Whether every backslash starts an escape the format knows: {@code \\}, {@code \n}, and
	 * in a label value {@code \"}.
	 */
	private static boolean isEscaped(String text, boolean labelValue) {
		for (int i = 0; i < text.length(); i++) {
			if (text.charAt(i) == '\\') {
				char next = (i + 1 < text.length()) ? text.charAt(i + 1) : 0;
				if (next != '\\' && next != 'n' && !(labelValue && next == '"')) {
					return false;
				}
				i++;
			}
		}
		return true;
	}

	/** A cursor over one sample line; blanks are spaces and tabs, as Prometheus' lexer has them. */
	private static final class Line {

		private final String text;

		private int at;

		Line(String text) {
			this.text = text;
		}

		boolean atEnd() {
			return this.at == this.text.length();
		}

		/** Skips blanks. @return whether there were any */
		boolean blanks() {
			int from = this.at;
			while (!atEnd() && (this.text.charAt(this.at) == ' ' || this.text.charAt(this.at) == '\t')) {
				this.at++;
			}
			return this.at > from;
		}

		boolean peek(char c) {
			return !atEnd() && this.text.charAt(this.at) == c;
		}

		boolean take(char c) {
			if (peek(c)) {
				this.at++;
				return true;
			}
			return false;
		}

		/** The longest match of the pattern here, or null. */
		String match(Pattern pattern) {
			Matcher matcher = pattern.matcher(this.text).region(this.at, this.text.length());
			if (!matcher.lookingAt()) {
				return null;
			}
			this.at = matcher.end();
			return matcher.group();
		}

		/** A double-quoted label value with its quotes, escapes as written, or null. */
		String quoted() {
			int from = this.at;
			if (!take('"')) {
				return null;
			}
			while (!atEnd() && this.text.charAt(this.at) != '"') {
				this.at += (this.text.charAt(this.at) == '\\') ? 2 : 1;
			}
			if (this.at >= this.text.length()) {
				return null;
			}
			this.at++;
			String value = this.text.substring(from, this.at);
			return isEscaped(value.substring(1, value.length() - 1), true) ? value : null;
		}

		/** The value token: what Prometheus' lexer takes, up to a blank or a brace. */
		String value() {
			int from = this.at;
			while (!atEnd() && " \t{".indexOf(this.text.charAt(this.at)) < 0) {
				this.at++;
			}
			return (this.at > from) ? this.text.substring(from, this.at) : null;
		}

	}

	private record Sample(String name, Integer slot, String line) {
	}

	private static final class Family {

		final String name;

		final String type;

		/** Opened by the master's own text: a worker may not add to its {@code prefork_} families. */
		final boolean fromMaster;

		String help;

		final List<Sample> samples = new ArrayList<>();

		Family(String name, String type, boolean fromMaster) {
			this.name = name;
			this.type = type;
			this.fromMaster = fromMaster;
		}

	}

}
