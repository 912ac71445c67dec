package dev.prefork.autoconfigure;

/**
 * A problem that stops prefork from starting, with what to do about it. Reported by
 * {@link PreforkStartupFailureAnalyzer}.
 */
public class PreforkStartupException extends RuntimeException {

	private final String action;

	public PreforkStartupException(String description, String action) {
		this(description, action, null);
	}

	public PreforkStartupException(String description, String action, Throwable cause) {
		super(description, cause);
		this.action = action;
	}

	public String getAction() {
		return this.action;
	}

}
