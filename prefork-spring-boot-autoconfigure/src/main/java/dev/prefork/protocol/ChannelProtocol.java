package dev.prefork.protocol;

/**
 * The lines master and worker exchange on their private channel, one message a line. The
 * channel is a pair of pipes: a worker reads the master's lines on fd 3 and writes its own
 * on fd 4. Plain pipes let the worker use them from Java alone, through
 * {@code /proc/self/fd}, with no native code on its boot path.
 */
public final class ChannelProtocol {

	/**
	 * Worker → master: the application is ready and Tomcat accepts on the shared socket.
	 * After a warm-up: {@code READY <warm-up milliseconds> <warm-up requests> <of which errors>}.
	 */
	public static final String READY = "READY";

	/**
	 * Worker → master: {@code WARMING <limit in milliseconds>}, the application started and
	 * serves warm-up requests to itself for at most that long.
	 */
	public static final String WARMING = "WARMING";

	/**
	 * Worker → master: {@code PATHS <count> <path> [<count> <path> ...]}, the GET paths it
	 * answered with 2xx since its last report, for later workers' warm-up.
	 */
	public static final String PATHS = "PATHS";

	/** Worker → master: {@code HEARTBEAT <requests served> <requests in flight>}. */
	public static final String HEARTBEAT = "HEARTBEAT";

	/**
	 * Worker → master: {@code COMMAND <name>}, a command from the application's code (see
	 * {@code PreforkControl}): {@code reload}, {@code scale-up}, {@code scale-down},
	 * {@code reopen-logs}, {@code upgrade}.
	 */
	public static final String COMMAND = "COMMAND";

	/** Master → worker: {@code SCRAPE <id>}, asks for the worker's Prometheus text. */
	public static final String SCRAPE = "SCRAPE";

	/**
	 * Worker → master: {@code METRICS <id> <length>}, followed by exactly {@code length} bytes
	 * of Prometheus text (format 0.0.4): the answer to {@code SCRAPE <id>}.
	 */
	public static final String METRICS = "METRICS";

	/** The worker's end of the master → worker pipe. */
	public static final int WORKER_READ_FD = 3;

	/** The worker's end of the worker → master pipe. */
	public static final int WORKER_WRITE_FD = 4;

	private ChannelProtocol() {
	}

	/**
	 * A line from a worker as it may go into the log: control characters (which could forge
	 * log lines or move a terminal's cursor) escaped, and at most 200 characters.
	 */
	public static String printable(String line) {
		StringBuilder out = new StringBuilder();
		for (int i = 0; i < line.length() && out.length() < 200; i++) {
			char c = line.charAt(i);
			if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
				out.append(String.format("\\x%02x", (int) c));
			}
			else {
				out.append(c);
			}
		}
		return (out.length() >= 200) ? out.substring(0, 200) + "..." : out.toString();
	}

	public static String heartbeat(long requestsServed, int inflight) {
		return HEARTBEAT + " " + requestsServed + " " + inflight;
	}

}
