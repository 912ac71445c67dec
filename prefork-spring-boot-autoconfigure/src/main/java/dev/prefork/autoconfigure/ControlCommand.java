package dev.prefork.autoconfigure;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The write operations of {@code /actuator/prefork/{command}}, each with the JSON fields its
 * body may have. Everything else in a body is refused.
 */
enum ControlCommand {

	RELOAD(Map.of("strategy", FieldType.STRING)),

	SCALE(Map.of("workers", FieldType.INTEGER, "delta", FieldType.INTEGER)),

	REOPEN_LOGS(Map.of()),

	UPGRADE(Map.of()),

	STOP(Map.of("mode", FieldType.STRING));

	private final Map<String, FieldType> fields;

	ControlCommand(Map<String, FieldType> fields) {
		this.fields = fields;
	}

	/** The path segment, e.g. {@code reopen-logs}. */
	String path() {
		return name().toLowerCase(Locale.ROOT).replace('_', '-');
	}

	Map<String, FieldType> fields() {
		return this.fields;
	}

	static Optional<ControlCommand> ofPath(String path) {
		return Arrays.stream(values()).filter((command) -> command.path().equals(path)).findFirst();
	}

	static String paths() {
		return Arrays.stream(values()).map(ControlCommand::path).collect(Collectors.joining(", "));
	}

	enum FieldType {

		STRING, INTEGER

	}

}
