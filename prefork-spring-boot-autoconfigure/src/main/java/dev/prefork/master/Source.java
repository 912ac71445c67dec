package dev.prefork.master;

/** Which door a command came in through; logged with every accepted command. */
public enum Source {

	SIGNAL, HTTP, FIFO, FILE, APPLICATION;

	@Override
	public String toString() {
		return name().toLowerCase(java.util.Locale.ROOT);
	}

}
