package dev.prefork.os;

/**
 * The lines master and worker exchange on their private channel, one message a line.
 */
public final class ChannelProtocol {

	/** Worker → master: the application is ready and Tomcat accepts on the shared socket. */
	public static final String READY = "READY";

	/** Worker → master: {@code HEARTBEAT <requests served> <requests in flight>}. */
	public static final String HEARTBEAT = "HEARTBEAT";

	/** The descriptor number of the channel in every worker. */
	public static final int WORKER_FD = 3;

	private ChannelProtocol() {
	}

	public static String heartbeat(long requestsServed, int inflight) {
		return HEARTBEAT + " " + requestsServed + " " + inflight;
	}

}
