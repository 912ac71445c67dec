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

	/**
	 * Starts a new master from the original command line and hands it the listening socket, or
	 * refuses and says why (answered on the command's reply).
	 * @param beforeStart runs just before the new master is started
	 */
	void start(Command.Upgrade command, MasterState state, MasterSettings settings, Runnable beforeStart,
			Consumer<Command> submit, long now) {
		String refusal = refusal(state);
		if (refusal != null) {
			logger.warn("Upgrade (source: " + command.source() + ") refused: " + refusal);
			command.reply().send(Reply.Outcome.conflict(refusal));
			return;
		}
		try {
			beforeStart.run();
			this.newMaster = this.launcher.launch(settings, submit);
			this.startedAt = now;
			this.newMasterReady = false;
			logger.info("Upgrading (source: " + command.source() + "): started a new master (pid " + this.newMaster.pid()
					+ ") from the original command line and handed it the listening socket; both serve until one "
					+ "of them is stopped");
			command.reply().send(Reply.Outcome.accepted("upgrade started: new master pid " + this.newMaster.pid()));
		}
		catch (IOException ex) {
			logger.error("Upgrade failed, this master keeps serving: could not start a new master: " + ex.getMessage());
			command.reply().send(Reply.Outcome.conflict("could not start a new master: " + ex.getMessage()));
		}
	}

	/** Why an upgrade cannot start now, or {@code null} if it can. */
	private String refusal(MasterState state) {
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

	void ready(long newMasterPid, long now) {
		if (this.newMaster != null && this.newMaster.pid() == newMasterPid) {
			this.newMasterReady = true;
			logger.info("New master (pid " + newMasterPid + ") is ready " + MasterStatus.seconds(now - this.startedAt)
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
				MasterStatus.seconds(now - this.startedAt)) : null;
	}

}
