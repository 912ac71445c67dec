package dev.prefork.os;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.prefork.master.ListenAddress;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The master's listening sockets, by address. Usually one; during a reload that changed
 * {@code server.address} or {@code server.port}, the old generation's and the new one's,
 * until the last old worker is gone.
 */
public final class ListenSockets implements Closeable {

	private static final Log logger = LogFactory.getLog(ListenSockets.class);

	private final Map<ListenAddress, ListenSocket> sockets = new LinkedHashMap<>();

	/** The backlog each socket was bound with (for the first one: the configured one). */
	private final Map<ListenAddress, Integer> backlogs = new LinkedHashMap<>();

	/**
	 * Starts with the socket the master opened or inherited.
	 * @param address the configured address it serves
	 * @param socket the socket
	 */
	public ListenSockets(ListenAddress address, ListenSocket socket) {
		this.sockets.put(endpoint(address), socket);
		this.backlogs.put(endpoint(address), address.backlog());
	}

	/**
	 * The socket for {@code address}, bound now if the master has none for it yet.
	 * @param address where to serve
	 * @return the listening socket
	 * @throws IOException if it cannot be bound
	 */
	public synchronized ListenSocket get(ListenAddress address) throws IOException {
		ListenSocket socket = this.sockets.get(endpoint(address));
		if (socket == null) {
			socket = bind(address);
			this.sockets.put(endpoint(address), socket);
			this.backlogs.put(endpoint(address), address.backlog());
			logger.info("Listening on " + socket + " for " + address + " (the listening address changed)");
		}
		return socket;
	}

	/**
	 * Closes every socket no worker serves any more.
	 * @param inUse the addresses still served or about to be
	 */
	public synchronized void retain(Collection<ListenAddress> inUse) {
		Iterator<Map.Entry<ListenAddress, ListenSocket>> entries = this.sockets.entrySet().iterator();
		while (entries.hasNext()) {
			Map.Entry<ListenAddress, ListenSocket> entry = entries.next();
			if (inUse.stream().noneMatch(entry.getKey()::sameEndpoint)) {
				logger.info("Closing listening socket " + entry.getValue() + ": no worker serves " + entry.getKey());
				entry.getValue().close();
				entries.remove();
				this.backlogs.remove(entry.getKey());
			}
		}
	}

	/** The descriptor of the socket new workers serve: the last one bound. */
	public synchronized int currentFd() {
		int fd = -1;
		for (ListenSocket socket : this.sockets.values()) {
			fd = socket.fd();
		}
		return fd;
	}

	/** The path of the socket new workers serve if it is a Unix domain socket, else null. */
	public synchronized String currentPath() {
		String path = null;
		for (ListenSocket socket : this.sockets.values()) {
			path = socket.path();
		}
		return path;
	}

	/** The backlog asked for when the socket new workers serve was bound. */
	public synchronized int currentBacklog() {
		int backlog = 0;
		for (int each : this.backlogs.values()) {
			backlog = each;
		}
		return backlog;
	}

	@Override
	public synchronized void close() {
		this.sockets.values().forEach(ListenSocket::close);
		this.sockets.clear();
	}

	/** Such as {@code *:8080 (fd 9)}, or {@code 127.0.0.1:8080 (fd 9)}. */
	public synchronized String describe() {
		return String.join(", ", this.sockets.values().stream().map(ListenSocket::describe).toList());
	}

	@Override
	public synchronized String toString() {
		return this.sockets.values().toString();
	}

	/**
	 * Binds a new listening socket for {@code address}.
	 * @param address a TCP address, or a Unix domain socket
	 * @return the socket
	 * @throws IOException if it cannot be bound
	 */
	public static ListenSocket bind(ListenAddress address) throws IOException {
		if (address.isUnix()) {
			return ListenSocket.bind(address.unix(), address.backlog());
		}
		InetAddress host = address.host().isEmpty() ? null : InetAddress.getByName(address.host());
		return ListenSocket.bind(host, address.port(), address.backlog());
	}

	private static ListenAddress endpoint(ListenAddress address) {
		return address.isUnix() ? new ListenAddress("", 0, 0, new ListenAddress.UnixSocket(address.unix().path(), 0, null))
				: new ListenAddress(address.host(), address.port(), 0);
	}

}
