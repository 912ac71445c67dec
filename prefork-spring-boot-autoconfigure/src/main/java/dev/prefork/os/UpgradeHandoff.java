package dev.prefork.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import dev.prefork.protocol.ChannelProtocol;
import dev.prefork.protocol.MasterOnlyEnvironment;

/**
 * What the old master of an upgrade hands the new master it starts: its own pid, the
 * listening socket on fd 3, and the write end of a pipe on fd 4 on which the new master says
 * {@code READY} once all its first workers are. Passed in the environment, as gunicorn and
 * nginx do.
 *
 * @param oldMasterPid the old master, this process's parent until it exits
 * @param listenFd the inherited listening socket
 * @param notifyFd the inherited readiness pipe
 */
public record UpgradeHandoff(long oldMasterPid, int listenFd, int notifyFd) {

	private static final String OLD_MASTER_PID = MasterOnlyEnvironment.UPGRADE_FROM;

	private static final String LISTEN_FD = MasterOnlyEnvironment.UPGRADE_LISTEN_FD;

	private static final String NOTIFY_FD = MasterOnlyEnvironment.UPGRADE_NOTIFY_FD;

	static final int CHILD_LISTEN_FD = 3;

	static final int CHILD_NOTIFY_FD = 4;

	/**
	 * The handoff this process was started with, if it is the new master of an upgrade.
	 * @param environment the process environment
	 * @return the handoff, or empty for an ordinary start
	 * @throws IllegalStateException if the variables are there but malformed
	 */
	public static Optional<UpgradeHandoff> fromEnvironment(Map<String, String> environment) {
		String oldMasterPid = environment.get(OLD_MASTER_PID);
		if (oldMasterPid == null) {
			return Optional.empty();
		}
		try {
			return Optional.of(new UpgradeHandoff(Long.parseLong(oldMasterPid),
					Integer.parseInt(environment.getOrDefault(LISTEN_FD, "")),
					Integer.parseInt(environment.getOrDefault(NOTIFY_FD, ""))));
		}
		catch (NumberFormatException ex) {
			throw new IllegalStateException("Malformed upgrade handoff in the environment: " + OLD_MASTER_PID + "="
					+ oldMasterPid + ", " + LISTEN_FD + "=" + environment.get(LISTEN_FD) + ", " + NOTIFY_FD + "="
					+ environment.get(NOTIFY_FD) + ". Unset them unless an old prefork master started this process.");
		}
	}

	/** Whether the old master has exited: this process no longer is its child. */
	public boolean oldMasterGone() {
		return Native.posix().getppid() != this.oldMasterPid;
	}

	/** Tells the old master that this one is ready, and closes the pipe. */
	public void notifyReady() {
		byte[] line = (ChannelProtocol.READY + "\n").getBytes(StandardCharsets.US_ASCII);
		try {
			if (Native.posix().write(this.notifyFd, line, line.length) != line.length) {
				throw Native.error("write");
			}
		}
		catch (IOException ex) {
			// The old master may be gone already; it then has nobody to tell.
		}
		finally {
			Native.closeQuietly(this.notifyFd);
		}
	}

	/** Makes the readiness pipe close-on-exec, so nothing this master starts inherits it. */
	public void keepNotifyPrivate() throws IOException {
		Descriptors.setCloseOnExec(this.notifyFd);
	}

}
