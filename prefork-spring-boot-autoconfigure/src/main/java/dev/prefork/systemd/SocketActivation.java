package dev.prefork.systemd;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

import dev.prefork.os.ListenSocket;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * systemd socket activation: a socket unit binds the port and starts the master with the
 * listening socket on fd 3 ({@code LISTEN_FDS}, {@code LISTEN_PID}); the master then serves
 * that socket instead of binding its own.
 */
public final class SocketActivation {

	private static final Log logger = LogFactory.getLog(SocketActivation.class);

	/** SD_LISTEN_FDS_START */
	static final int FIRST_FD = 3;

	private SocketActivation() {
	}

	/**
	 * The socket systemd passed to this process, if any.
	 * @param environment the process environment
	 * @param pid this process's pid
	 * @return the listening socket on fd 3
	 * @throws IOException if systemd passed something that is not a listening socket
	 */
	public static Optional<ListenSocket> passedSocket(Map<String, String> environment, long pid) throws IOException {
		String listenPid = environment.get("LISTEN_PID");
		String listenFds = environment.get("LISTEN_FDS");
		if (listenPid == null || listenFds == null) {
			return Optional.empty();
		}
		if (!listenPid.trim().equals(Long.toString(pid))) {
			// Meant for another process (a wrapper that exec'd us would have the same pid).
			return Optional.empty();
		}
		int count;
		try {
			count = Integer.parseInt(listenFds.trim());
		}
		catch (NumberFormatException ex) {
			throw new IOException("LISTEN_FDS=" + listenFds + " is not a number");
		}
		if (count < 1) {
			return Optional.empty();
		}
		if (count > 1) {
			logger.warn("systemd passed " + count + " sockets; the master serves the first (fd " + FIRST_FD
					+ ") and leaves the others unused");
		}
		return Optional.of(ListenSocket.inherit(FIRST_FD));
	}

}
