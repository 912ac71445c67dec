package dev.prefork.master;

import java.io.IOException;
import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * This master's part in an on-the-fly upgrade (USR2): the new master it started, until that one
 * exits or this one does; or, for a new master, the old master it runs next to until it is
 * promoted. Owned by the master thread.
 */
final class Upgrade {

	private static final Log logger = LogFactory.getLog(Upgrade.class);

	private final long pid;

	private UpgradeLauncher launcher;

	/** The master that started this one, until it is gone. */
	private Long oldMasterPid;

	/** The new master this one started, or {@code null}. */
	private ChildProcess newMaster;

	private long startedAt;

	private boolean newMasterReady;

	/** @param pid this master's pid */
	Upgrade(long pid) {
		this.pid = pid;
	}

	void startWith(UpgradeLauncher launcher) {
		this.launcher = launcher;
	}

	void newMasterOf(long oldMasterPid) {
		this.oldMasterPid = oldMasterPid;
	}

	/** The old master this new master runs next to, or {@code null} once promoted (or never an upgrade). */
	Long oldMasterPid() {
		return this.oldMasterPid;
	}

	/** Whether a new master this one started is running. */
	boolean isRunning() {
		return this.newMaster != null;
	}

	/** Why an upgrade cannot start now, or {@code null} if it can. */
	String refusal(MasterState state) {
		if (this.launcher == null) {
			return "this master cannot start a new master";
		}
		if (this.oldMasterPid != null) {
			return "this master is itself the new master of an upgrade and the old master (pid " + this.oldMasterPid
					+ ") is still running; upgrade again once this master is promoted";
		}
		if (this.newMaster != null) {
			return "an upgrade is already in progress (new master pid " + this.newMaster.pid()
					+ "); finish it (TERM this master) or back it out (TERM the new master) first";
		}
		if (state != MasterState.RUNNING && state != MasterState.RELOADING) {
			return "the master is " + state;
		}
		return null;
	}

	/**
	 * Starts the new master, once {@link #refusal} said it may.
	 * @return its pid
	 */
	long start(MasterSettings settings, Consumer<Command> submit, long now) throws IOException {
		this.newMaster = this.launcher.launch(settings, submit);
		this.startedAt = now;
		this.newMasterReady = false;
		return this.newMaster.pid();
	}

	void ready(long newMasterPid, long now) {
		if (this.newMaster != null && this.newMaster.pid() == newMasterPid) {
			this.newMasterReady = true;
			logger.info("New master (pid " + newMasterPid + ") is ready " + Master.seconds(now - this.startedAt)
					+ " s after the upgrade started; its workers serve next to this master's. To finish the upgrade: "
					+ "kill -TERM " + this.pid + " (kill -WINCH " + this.pid + " first stops only this master's "
					+ "workers). To back it out: kill -TERM " + newMasterPid);
		}
	}

	/**
	 * A new master was reaped.
	 * @return whether it was this master's: the upgrade is over and this master stays
	 */
	boolean exited(long newMasterPid, ExitStatus status) {
		if (this.newMaster == null || this.newMaster.pid() != newMasterPid) {
			return false;
		}
		this.newMaster = null;
		if (this.newMasterReady) {
			logger.warn("New master (pid " + newMasterPid + ") exited (" + status
					+ "): the upgrade is backed out and this master (pid " + this.pid + ") stays the master");
		}
		else {
			logger.error("New master (pid " + newMasterPid + ") failed to boot (" + status
					+ "), its log above says why; the upgrade is abandoned and this master keeps serving");
		}
		return true;
	}

	/**
	 * The old master is gone.
	 * @return whether it was this master's old master: this master is promoted
	 */
	boolean promoted(long oldMasterPid) {
		if (this.oldMasterPid == null || this.oldMasterPid != oldMasterPid) {
			return false;
		}
		this.oldMasterPid = null;
		logger.info("Promoted: the old master (pid " + oldMasterPid + ") has exited; this master (pid " + this.pid
				+ ") is the master now");
		return true;
	}

	/** The new master for the status, or {@code null}. */
	MasterStatus.UpgradeStatus status(long now) {
		return (this.newMaster != null) ? new MasterStatus.UpgradeStatus(this.newMaster.pid(), this.newMasterReady,
				Master.seconds(now - this.startedAt)) : null;
	}

}
