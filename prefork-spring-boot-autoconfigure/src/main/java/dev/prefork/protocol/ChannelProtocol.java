package dev.prefork.protocol;

import java.util.LinkedHashMap;
import java.util.Map;

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
	 * answered with 2xx since its last report, for later workers' warm-up: at most
	 * {@link #MAX_REPORTED_PATHS} distinct paths (see {@link #isPath}), each count from 1 to
	 * {@link Integer#MAX_VALUE}. Sent right after a {@link #HEARTBEAT} whose request count
	 * already includes every request the report counts.
	 */
	public static final String PATHS = "PATHS";

	/** At most this many paths in one {@link #PATHS} line. */
	public static final int MAX_REPORTED_PATHS = 20;

	/** At most this many characters in a reported path. */
	public static final int MAX_PATH_LENGTH = 256;

	/** Worker → master: {@code HEARTBEAT <requests served> <requests in flight>}. */
	public static final String HEARTBEAT = "HEARTBEAT";

	/**
	 * Worker → master: {@code COMMAND <name>}, a command from the application's code (see
	 * {@code PreforkControl}): {@code reload}, {@code scale-up}, {@code scale-down},
	 * {@code reopen-logs}, {@code upgrade}.
	 */
	public static final String COMMAND = "COMMAND";

	/** Master → worker: {@code SCRAPE <id>}, asks for the worker's Prometheus text (format 0.0.4). */
	public static final String SCRAPE = "SCRAPE";

	/**
	 * Master → worker: {@code HEALTH <id>}, asks for the health of the application's own
	 * contributors, a JSON document {@code {"components":{"<name>":{"status":..,"details":{..}}}}}.
	 */
	public static final String HEALTH = "HEALTH";

	/**
	 * Master → worker: {@code ENDPOINT <id> <call>}, a request for one of the application's
	 * Actuator endpoints, which the master's management server passes on (the call's encoding
	 * is {@code EndpointCall}'s); answered by an {@code EndpointReply}.
	 */
	public static final String ENDPOINT = "ENDPOINT";

	/**
	 * Worker → master: {@code ANSWER <id> <length>}, followed by exactly {@code length} bytes:
	 * the answer to the request with that id ({@link #SCRAPE}, {@link #HEALTH}, {@link #ENDPOINT}).
	 */
	public static final String ANSWER = "ANSWER";

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

	/**
	 * A path a worker may report: starts with {@code /}, printable ASCII without spaces, at
	 * most {@link #MAX_PATH_LENGTH} characters.
	 */
	public static boolean isPath(String path) {
		if (path == null || path.isEmpty() || path.charAt(0) != '/' || path.length() > MAX_PATH_LENGTH) {
			return false;
		}
		for (int i = 0; i < path.length(); i++) {
			char c = path.charAt(i);
			if (c <= ' ' || c > '~') {
				return false;
			}
		}
		return true;
	}

	/**
	 * The counts of a {@link #PATHS} line, by path.
	 * @return null if anything in the line is malformed: the whole report is refused
	 */
	public static Map<String, Long> paths(String line) {
		String[] fields = line.split(" ", -1);
		int pairs = (fields.length - 1) / 2;
		if (!fields[0].equals(PATHS) || fields.length % 2 == 0 || pairs < 1 || pairs > MAX_REPORTED_PATHS) {
			return null;
		}
		Map<String, Long> counts = new LinkedHashMap<>();
		for (int i = 1; i < fields.length; i += 2) {
			String count = fields[i];
			if (count.isEmpty() || count.length() > 10 || count.charAt(0) == '0' || !count.chars().allMatch(Character::isDigit)
					|| Long.parseLong(count) > Integer.MAX_VALUE || !isPath(fields[i + 1])
					|| counts.put(fields[i + 1], Long.parseLong(count)) != null) {
				return null;
			}
		}
		return counts;
	}

	public static String heartbeat(long requestsServed, int inflight) {
		return HEARTBEAT + " " + requestsServed + " " + inflight;
	}

}
