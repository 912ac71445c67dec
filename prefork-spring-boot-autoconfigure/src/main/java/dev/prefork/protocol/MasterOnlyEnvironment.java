package dev.prefork.protocol;

import java.util.List;
import java.util.Map;

/**
 * Environment variables that belong to this master alone and must not reach the processes it
 * starts: systemd's socket activation names this process and its descriptors, an upgrade's
 * hand-off variables are this master's own, and systemd's notify socket is for the master (a
 * new master of an upgrade keeps it: it notifies systemd once it is promoted).
 */
public final class MasterOnlyEnvironment {

	/** The old master of an upgrade: set in a new master until it is promoted. */
	public static final String UPGRADE_FROM = "PREFORK_UPGRADE_FROM";

	/** The listening socket a new master of an upgrade inherited. */
	public static final String UPGRADE_LISTEN_FD = "PREFORK_UPGRADE_LISTEN_FD";

	/** The pipe on which a new master of an upgrade says it is ready. */
	public static final String UPGRADE_NOTIFY_FD = "PREFORK_UPGRADE_NOTIFY_FD";

	private static final List<String> NOT_FOR_A_NEW_MASTER = List.of("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
			UPGRADE_FROM, UPGRADE_LISTEN_FD, UPGRADE_NOTIFY_FD);

	private static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";

	private MasterOnlyEnvironment() {
	}

	/** Removes what a worker or a training run must not inherit. */
	public static void removeForWorker(Map<String, String> environment) {
		removeForNewMaster(environment);
		environment.remove(NOTIFY_SOCKET);
	}

	/** Removes what a new master of an upgrade must not inherit (it keeps the notify socket). */
	public static void removeForNewMaster(Map<String, String> environment) {
		NOT_FOR_A_NEW_MASTER.forEach(environment::remove);
	}

}
