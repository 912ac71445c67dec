package dev.prefork.master;

/**
 * Where workers serve: {@code server.address} and {@code server.port}. A reload that changes
 * them makes the new generation serve a new listening socket.
 *
 * @param host the address to bind, empty for every address
 * @param port the port, 0 for any free port
 * @param backlog the accept queue length ({@code prefork.backlog}) used when binding
 */
public record ListenAddress(String host, int port, int backlog) {

	/** Whether both name the same socket; the backlog alone does not warrant a new one. */
	public boolean sameEndpoint(ListenAddress other) {
		return this.host.equals(other.host) && this.port == other.port;
	}

	@Override
	public String toString() {
		String shown = this.host.isEmpty() ? "*" : (this.host.contains(":") ? "[" + this.host + "]" : this.host);
		return shown + ":" + this.port;
	}

}
