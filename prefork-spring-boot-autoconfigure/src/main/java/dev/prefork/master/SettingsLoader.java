package dev.prefork.master;

/**
 * Reads the configuration again, from the same sources as at start, for a reload.
 */
@FunctionalInterface
public interface SettingsLoader {

	/**
	 * Loads and validates the configuration.
	 * @return the new settings
	 * @throws InvalidSettingsException if the configuration cannot be read or is invalid
	 */
	MasterSettings load() throws InvalidSettingsException;

	/** The configuration is invalid; the message says what is wrong. */
	class InvalidSettingsException extends Exception {

		public InvalidSettingsException(String message, Throwable cause) {
			super(message, cause);
		}

	}

}
