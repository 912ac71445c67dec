package dev.prefork.os;

import dev.prefork.master.Command;
import dev.prefork.master.Source;
import dev.prefork.master.StopMode;

/**
 * The commands of the doors without a body: the master FIFO's single characters (uWSGI's),
 * and the names the application and the command line use.
 */
public final class ControlCharacters {

	private ControlCharacters() {
	}

	/**
	 * The command for a FIFO character: {@code r} reload, {@code q} graceful stop, {@code Q}
	 * quick stop, {@code +} one worker more, {@code -} one fewer, {@code l} reopen logs,
	 * {@code u} upgrade.
	 * @return the command, or {@code null} for any other character
	 */
	public static Command ofCharacter(char character, Source source) {
		return switch (character) {
			case 'r' -> new Command.Reload(null, source);
			case 'q' -> new Command.Stop(StopMode.GRACEFUL, source);
			case 'Q' -> new Command.Stop(StopMode.QUICK, source);
			case '+' -> new Command.Scale(1, source);
			case '-' -> new Command.Scale(-1, source);
			case 'l' -> new Command.ReopenLogs(source);
			case 'u' -> new Command.Upgrade(source);
			default -> null;
		};
	}

	/**
	 * The command for a name: {@code reload}, {@code scale-up}, {@code scale-down},
	 * {@code reopen-logs}, {@code upgrade}.
	 * @return the command, or {@code null} for any other name
	 */
	public static Command ofName(String name, Source source) {
		return switch (name) {
			case "reload" -> ofCharacter('r', source);
			case "scale-up" -> ofCharacter('+', source);
			case "scale-down" -> ofCharacter('-', source);
			case "reopen-logs" -> ofCharacter('l', source);
			case "upgrade" -> ofCharacter('u', source);
			default -> null;
		};
	}

}
