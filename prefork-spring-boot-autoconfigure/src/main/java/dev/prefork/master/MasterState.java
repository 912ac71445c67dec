package dev.prefork.master;

import java.util.Locale;

/**
 * The master's own life: {@code STARTING → RUNNING ⇄ RELOADING → STOPPING → STOPPED}.
 * {@code UPGRADING} is how a running master shows while the new master of an upgrade runs
 * next to it.
 */
public enum MasterState {

	/** The first generation of workers is booting; a boot failure now halts the master. */
	STARTING,

	/** All workers of the first generation were ready once; crashes are respawned. */
	RUNNING,

	/** A reload is replacing the workers with a new generation. */
	RELOADING,

	/** Running, while the new master of an upgrade runs next to this one. */
	UPGRADING,

	/** Workers are being stopped; nothing is respawned. */
	STOPPING,

	/** Every worker is gone; the loop has ended. */
	STOPPED;

	@Override
	public String toString() {
		return name().toLowerCase(Locale.ROOT);
	}

}
