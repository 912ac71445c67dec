package dev.prefork.systemd;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import dev.prefork.master.ExitReason;
import dev.prefork.master.ExitStatus;
import dev.prefork.master.MasterEvents;
import dev.prefork.master.MasterSettings;
import dev.prefork.os.UnixDatagram;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * sd_notify for a master run by systemd ({@code Type=notify}): READY=1 once the first
 * workers are ready, RELOADING=1 / READY=1 around a reload, STATUS= with the worker count,
 * MAINPID= when the new master of an upgrade takes over, STOPPING=1 on shutdown. Does nothing
 * without NOTIFY_SOCKET. A message that cannot be sent is logged once, never fatal.
 */
public final class SystemdNotify implements MasterEvents {

	private static final Log logger = LogFactory.getLog(SystemdNotify.class);

	static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";

	/** Null without NOTIFY_SOCKET. */
	private final UnixDatagram socket;

	private final long pid;

	/** The new master of an upgrade stays quiet until it takes over: the old master is systemd's main process. */
	private boolean quiet;

	private int target;

	private final Set<Long> ready = new HashSet<>();

	private boolean failureLogged;

	private SystemdNotify(String socket, long pid, boolean newMasterOfUpgrade) {
		this.socket = (socket != null) ? UnixDatagram.to(socket) : null;
		this.pid = pid;
		this.quiet = newMasterOfUpgrade;
	}

	/**
	 * The notifier for this process.
	 * @param notifySocket the value of NOTIFY_SOCKET, or null
	 * @param newMasterOfUpgrade whether this master was started by USR2
	 */
	public static SystemdNotify of(String notifySocket, boolean newMasterOfUpgrade) {
		boolean usable = notifySocket != null && (notifySocket.startsWith("/") || notifySocket.startsWith("@"));
		if (notifySocket != null && !usable) {
			logger.warn("NOTIFY_SOCKET=" + notifySocket + " is neither a path nor an abstract socket; not notifying systemd");
		}
		return new SystemdNotify(usable ? notifySocket : null, ProcessHandle.current().pid(), newMasterOfUpgrade);
	}

	public boolean isEnabled() {
		return this.socket != null;
	}

	@Override
	public void starting(MasterSettings settings) {
		this.target = settings.workers();
		send("STATUS=Starting " + this.target + " workers");
	}

	@Override
	public void ready(int workers) {
		send("READY=1\n" + status());
	}

	@Override
	public void workerReady(int slot, long pid, Duration bootTime) {
		this.ready.add(pid);
		send(status());
	}

	@Override
	public void workerExited(int slot, long pid, ExitReason reason, ExitStatus status) {
		this.ready.remove(pid);
		send(status());
	}

	@Override
	public void workersChanged(int from, int to) {
		this.target = to;
		send(status());
	}

	@Override
	public void reloadStarted(int generation) {
		send("RELOADING=1\nMONOTONIC_USEC=" + System.nanoTime() / 1000 + "\nSTATUS=Reloading: starting generation "
				+ generation);
	}

	@Override
	public void reloadEnded(String result, Duration duration) {
		send("READY=1\n" + status());
	}

	@Override
	public void promoted(long oldMasterPid) {
		this.quiet = false;
		send("MAINPID=" + this.pid + "\nREADY=1\n" + status());
	}

	@Override
	public void stopping() {
		send("STOPPING=1\nSTATUS=Stopping");
	}

	private String status() {
		return "STATUS=" + this.ready.size() + " workers ready (target " + this.target + ")";
	}

	/** Sends one datagram. */
	void send(String message) {
		if (this.socket == null || this.quiet) {
			return;
		}
		try {
			this.socket.send(message);
		}
		catch (IOException ex) {
			if (!this.failureLogged) {
				this.failureLogged = true;
				logger.warn("Cannot notify systemd (" + ex.getMessage() + "); further failures are not logged");
			}
		}
	}

}
