package dev.prefork.worker;

import java.util.function.Consumer;

import dev.prefork.master.ControlCommand;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Lets application code steer the master it runs under, like {@code uwsgi.reload()}: inject
 * it and call {@link #reload()}. The request goes to the master over the worker's private
 * channel and takes the same path as the matching signal. Outside a prefork master (tests,
 * {@code prefork.enabled=false}) every call is logged and ignored.
 */
public class PreforkControl {

	private static final Log logger = LogFactory.getLog(PreforkControl.class);

	private final Consumer<String> master;

	/**
	 * @param master sends a command's name to the master, or {@code null} when there is none
	 */
	public PreforkControl(Consumer<String> master) {
		this.master = master;
	}

	/** Whether a master receives the commands. */
	public boolean isUnderMaster() {
		return this.master != null;
	}

	/** As SIGHUP: re-read the configuration and replace every worker, this one included. */
	public void reload() {
		send(ControlCommand.RELOAD);
	}

	/** As SIGTTIN: one worker more. */
	public void scaleUp() {
		send(ControlCommand.SCALE_UP);
	}

	/** As SIGTTOU: one worker fewer. */
	public void scaleDown() {
		send(ControlCommand.SCALE_DOWN);
	}

	/** As SIGUSR1: reopen log files in the master and every worker. */
	public void reopenLogs() {
		send(ControlCommand.REOPEN_LOGS);
	}

	/** As SIGUSR2: start a new master from the jar on disk. */
	public void upgrade() {
		send(ControlCommand.UPGRADE);
	}

	private void send(ControlCommand command) {
		if (this.master == null) {
			logger.warn("Not running under a prefork master; ignoring " + command.commandName());
			return;
		}
		logger.info("Asking the master to " + command.commandName());
		this.master.accept(command.commandName());
	}

}
