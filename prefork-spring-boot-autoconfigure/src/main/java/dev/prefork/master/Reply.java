package dev.prefork.master;

/**
 * Where the master answers a command someone waits for (an HTTP request). Called once, on
 * the master thread, as soon as the command was accepted or refused.
 */
@FunctionalInterface
public interface Reply {

	/** For commands nobody waits for: signals, the FIFO, the touch file. */
	Reply NONE = (outcome) -> {
	};

	void send(Outcome outcome);

	/**
	 * The master's answer.
	 *
	 * @param result accepted or why not
	 * @param message one line saying what was started, or what is wrong
	 */
	record Outcome(Result result, String message) {

		public static Outcome accepted(String message) {
			return new Outcome(Result.ACCEPTED, message);
		}

		public static Outcome conflict(String message) {
			return new Outcome(Result.CONFLICT, message);
		}

		public static Outcome invalid(String message) {
			return new Outcome(Result.INVALID, message);
		}

	}

	/** Accepted; refused because of the master's state (try later); refused because the request is wrong. */
	enum Result {

		ACCEPTED, CONFLICT, INVALID

	}

}
