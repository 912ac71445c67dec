package dev.prefork.protocol;

/**
 * Exit codes a worker ends with when it cannot serve. The master tells them apart in its log,
 * and exits with the same code when its first workers cannot boot, so that systemd or
 * Kubernetes see why.
 */
public final class ExitCodes {

	/** The application context failed to start. */
	public static final int BOOT_ERROR = 3;

	/** The application's classes could not be loaded. */
	public static final int APP_LOAD_ERROR = 4;

	private ExitCodes() {
	}

}
