package dev.prefork.master;

/**
 * Where workers serve: {@code server.address} and {@code server.port}, or a Unix domain
 * socket ({@code prefork.unix-socket.path}) instead. A reload that changes them makes the new
 * generation serve a new listening socket.
 *
 * @param host the address to bind, empty for every address
 * @param port the port, 0 for any free port
 * @param backlog the accept queue length ({@code prefork.backlog}) used when binding
 * @param unix the Unix domain socket served instead of the TCP address, or {@code null}
 */
public record ListenAddress(String host, int port, int backlog, UnixSocket unix) {

	public ListenAddress(String host, int port, int backlog) {
		this(host, port, backlog, null);
	}

	/**
	 * A Unix domain socket the master binds, with who may connect to it.
	 *
	 * @param path the socket's path
	 * @param mode its permission bits, such as {@code 0660}: connecting needs write permission
	 * @param group the group (name or number) it is given, or {@code null} for the master's
	 */
	public record UnixSocket(String path, int mode, String group) {

		@Override
		public String toString() {
			return "unix:" + this.path;
		}

	}

	public boolean isUnix() {
		return this.unix != null;
	}

	/**
	 * Whether both name the same socket; the backlog alone (or a Unix socket's mode and
	 * group) does not warrant a new one.
	 */
	public boolean sameEndpoint(ListenAddress other) {
		if (isUnix() || other.isUnix()) {
			return isUnix() && other.isUnix() && this.unix.path().equals(other.unix.path());
		}
		return this.host.equals(other.host) && this.port == other.port;
	}

	@Override
	public String toString() {
		if (isUnix()) {
			return this.unix.toString();
		}
		String shown = this.host.isEmpty() ? "*" : (this.host.contains(":") ? "[" + this.host + "]" : this.host);
		return shown + ":" + this.port;
	}

}
