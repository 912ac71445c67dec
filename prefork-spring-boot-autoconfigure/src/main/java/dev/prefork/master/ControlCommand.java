package dev.prefork.master;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Every command a person or the application can give the master, and each door it comes in
 * through: its name (the HTTP path {@code POST /actuator/prefork/<name>},
 * {@code --prefork.signal=<name>}, what {@code PreforkControl} sends), the master FIFO's
 * character, the signal, the fields an HTTP body may have, and whether application code may
 * ask for it. Every door is derived from this list: a new command is a constant here, its
 * {@link Command} record and its handler in {@link Master}.
 */
public enum ControlCommand {

	RELOAD("reload", 'r', "HUP", true, Map.of("strategy", FieldType.STRING)),

	STOP("stop", 'q', "TERM", false, Map.of("mode", FieldType.STRING)),

	QUICK_STOP("quick-stop", 'Q', "INT", false, Map.of()),

	/** Only over HTTP: to an absolute count, or by a delta. */
	SCALE("scale", '\0', null, false, Map.of("workers", FieldType.INTEGER, "delta", FieldType.INTEGER)),

	SCALE_UP("scale-up", '+', "TTIN", true, Map.of()),

	SCALE_DOWN("scale-down", '-', "TTOU", true, Map.of()),

	REOPEN_LOGS("reopen-logs", 'l', "USR1", true, Map.of()),

	UPGRADE("upgrade", 'u', "USR2", true, Map.of()),

	STOP_WORKERS("stop-workers", '\0', "WINCH", false, Map.of());

	/** No FIFO character (written as a literal in the constants above). */
	static final char NO_CHARACTER = 0;

	private final String commandName;

	private final char character;

	private final String signal;

	private final boolean fromApplication;

	private final Map<String, FieldType> fields;

	ControlCommand(String commandName, char character, String signal, boolean fromApplication,
			Map<String, FieldType> fields) {
		this.commandName = commandName;
		this.character = character;
		this.signal = signal;
		this.fromApplication = fromApplication;
		this.fields = fields;
	}

	/** The name, e.g. {@code reopen-logs}: the HTTP path, the command line's and the application's word. */
	public String commandName() {
		return this.commandName;
	}

	/** The signal's name without {@code SIG}, e.g. {@code HUP}, or empty if no signal sends it. */
	public Optional<String> signal() {
		return Optional.ofNullable(this.signal);
	}

	/** The fields an HTTP body may have, with their JSON types; any other field is refused. */
	public Map<String, FieldType> fields() {
		return this.fields;
	}

	/**
	 * The command to submit.
	 * @param fields the HTTP body's fields as text (names and JSON types already checked), or
	 * an empty map for every other door
	 * @throws IllegalArgumentException for a field's value that means nothing, with a message
	 * for the person who sent it
	 */
	public Command.Control create(Map<String, String> fields, Source source, Reply reply) {
		return switch (this) {
			case RELOAD -> new Command.Reload(strategy(fields.get("strategy")), source, reply);
			case STOP -> new Command.Stop(mode(fields.get("mode")), source, reply);
			case QUICK_STOP -> new Command.Stop(StopMode.QUICK, source, reply);
			case SCALE -> scale(fields.get("workers"), fields.get("delta"), source, reply);
			case SCALE_UP -> new Command.Scale(null, 1, source, reply);
			case SCALE_DOWN -> new Command.Scale(null, -1, source, reply);
			case REOPEN_LOGS -> new Command.ReopenLogs(source, reply);
			case UPGRADE -> new Command.Upgrade(source, reply);
			case STOP_WORKERS -> new Command.StopWorkers(source, reply);
		};
	}

	/** The command as a door without a body or a reply gives it (signal, FIFO, file, application). */
	public Command.Control create(Source source) {
		return create(Map.of(), source, Reply.NONE);
	}

	public static Optional<ControlCommand> ofName(String name) {
		return Arrays.stream(values()).filter((command) -> command.commandName.equals(name)).findFirst();
	}

	/** The command for a master FIFO character, uWSGI's: {@code r q Q + - l u}. */
	public static Optional<ControlCommand> ofCharacter(char character) {
		return Arrays.stream(values())
			.filter((command) -> command.character != NO_CHARACTER && command.character == character)
			.findFirst();
	}

	/** The command for a signal name without {@code SIG}, e.g. {@code TTIN}. */
	public static Optional<ControlCommand> ofSignal(String signal) {
		return Arrays.stream(values()).filter((command) -> signal.equals(command.signal)).findFirst();
	}

	/** The command that application code may ask for by this name ({@code PreforkControl}). */
	public static Optional<ControlCommand> fromApplication(String name) {
		return ofName(name).filter((command) -> command.fromApplication);
	}

	/** Every name, e.g. for an error message: {@code reload, stop, ...}. */
	public static String names() {
		return Arrays.stream(values()).map(ControlCommand::commandName).collect(Collectors.joining(", "));
	}

	/** The names of the commands a signal sends, in this order. */
	public static String signalledNames() {
		return Arrays.stream(values())
			.filter((command) -> command.signal != null)
			.map(ControlCommand::commandName)
			.collect(Collectors.joining(", "));
	}

	/** The master FIFO's characters, e.g. {@code r q Q + - l u}. */
	public static String characters() {
		return Arrays.stream(values())
			.filter((command) -> command.character != NO_CHARACTER)
			.map((command) -> String.valueOf(command.character))
			.collect(Collectors.joining(" "));
	}

	/** The signals the master handles, e.g. {@code HUP}. */
	public static java.util.List<String> signals() {
		return Arrays.stream(values()).map((command) -> command.signal).filter((signal) -> signal != null).toList();
	}

	private static ReloadStrategy strategy(String strategy) {
		if (strategy == null) {
			return null;
		}
		for (ReloadStrategy candidate : ReloadStrategy.values()) {
			if (candidate.toString().equals(strategy)) {
				return candidate;
			}
		}
		throw new IllegalArgumentException("unknown strategy '" + strategy + "'; use rolling or all-at-once");
	}

	private static StopMode mode(String mode) {
		if (mode == null || mode.equals("graceful")) {
			return StopMode.GRACEFUL;
		}
		if (mode.equals("quick")) {
			return StopMode.QUICK;
		}
		throw new IllegalArgumentException("unknown mode '" + mode + "'; use graceful or quick");
	}

	private static Command.Control scale(String workers, String delta, Source source, Reply reply) {
		if ((workers == null) == (delta == null)) {
			throw new IllegalArgumentException("give either {\"workers\":N} (absolute) or {\"delta\":±k}");
		}
		return (workers != null) ? new Command.Scale(integer("workers", workers), 0, source, reply)
				: new Command.Scale(null, integer("delta", delta), source, reply);
	}

	private static int integer(String name, String value) {
		try {
			return Integer.parseInt(value);
		}
		catch (NumberFormatException ex) {
			throw new IllegalArgumentException(name + " must be an integer, not '" + value + "'");
		}
	}

	/** The JSON type of an HTTP body's field. */
	public enum FieldType {

		STRING, INTEGER

	}

}
