package dev.prefork.master;

/**
 * Which door a command came in through; logged with every accepted command. {@code MASTER}:
 * the master itself, when its own application fails to start after its first workers did.
 */
public enum Source {

	SIGNAL, HTTP, FIFO, FILE, APPLICATION, MASTER;

	@Override
	public String toString() {
		return name().toLowerCase(java.util.Locale.ROOT);
	}

}
