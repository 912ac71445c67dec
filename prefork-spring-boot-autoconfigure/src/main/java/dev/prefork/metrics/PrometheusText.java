package dev.prefork.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges Prometheus text expositions (format 0.0.4) into one: the master's own, and each
 * worker's with a {@code worker="<slot>"} label added to every sample. The format wants all
 * samples of a family together under one {@code # HELP} and {@code # TYPE}, so families are
 * gathered across the inputs; a family keeps the help and type it was first seen with, and a
 * worker's samples of a family whose type differs are dropped rather than make the output
 * invalid.
 */
public final class PrometheusText {

	private final Map<String, Family> families = new LinkedHashMap<>();

	/**
	 * Adds an exposition.
	 * @param text the Prometheus text
	 * @param workerSlot the slot to label every sample with, or {@code null} for the master's own
	 */
	public void add(String text, Integer workerSlot) {
		Family family = null;
		String pendingHelp = null;
		for (String line : text.split("\n")) {
			if (line.isBlank()) {
				continue;
			}
			if (line.startsWith("# HELP ")) {
				pendingHelp = line;
			}
			else if (line.startsWith("# TYPE ")) {
				String[] fields = line.split(" ", 4);
				String name = fields[2];
				String type = (fields.length > 3) ? fields[3] : "untyped";
				family = this.families.computeIfAbsent(name, (key) -> new Family(type));
				if (family.help == null && pendingHelp != null) {
					family.help = pendingHelp;
				}
				if (!family.type.equals(type)) {
					family = null; // conflicting type: skip these samples
				}
				pendingHelp = null;
			}
			else if (line.startsWith("#")) {
				continue;
			}
			else if (family != null) {
				family.samples.add((workerSlot != null) ? withWorker(line, workerSlot) : line);
			}
		}
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

	/** {@code name{a="b"} 1} → {@code name{worker="0",a="b"} 1}; {@code name 1} → {@code name{worker="0"} 1}. */
	static String withWorker(String sample, int slot) {
		String label = "worker=\"" + slot + "\"";
		int brace = sample.indexOf('{');
		int space = sample.indexOf(' ');
		if (brace >= 0 && (space < 0 || brace < space)) {
			boolean empty = sample.charAt(brace + 1) == '}';
			return sample.substring(0, brace + 1) + label + (empty ? "" : ",") + sample.substring(brace + 1);
		}
		return sample.substring(0, space) + "{" + label + "}" + sample.substring(space);
	}

	private static final class Family {

		final String type;

		String help;

		final List<String> samples = new ArrayList<>();

		Family(String type) {
			this.type = type;
		}

	}

}
