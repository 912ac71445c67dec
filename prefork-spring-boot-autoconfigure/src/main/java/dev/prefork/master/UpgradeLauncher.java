package dev.prefork.master;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * Starts the new master of an on-the-fly upgrade: the master's own command line again (so a
 * jar replaced on disk is picked up), given the listening socket.
 */
public interface UpgradeLauncher {

	/**
	 * Starts a new master. From then on the launcher reports its {@link Command.UpgradeReady}
	 * and {@link Command.UpgradeExited} to {@code events}.
	 * @param settings the current settings; the new master gets the socket of their address
	 * @param events where the new master's readiness and exit go
	 * @return the started process
	 * @throws IOException if it could not be started
	 */
	ChildProcess launch(MasterSettings settings, Consumer<Command> events) throws IOException;

}
