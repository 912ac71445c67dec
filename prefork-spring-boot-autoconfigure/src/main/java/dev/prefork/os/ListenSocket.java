package dev.prefork.os;

import java.io.Closeable;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import dev.prefork.master.ListenAddress;

/**
 * The listening socket the master owns for its whole life and hands to every worker as
 * fd 0. The master never accepts on it; the kernel's one accept queue is shared by all
 * workers. Created close-on-exec: only the spawn file action gives it to workers.
 */
public final class ListenSocket implements Closeable {

	private final int fd;

	private final InetAddress address;

	private final int port;

	/** A Unix domain socket's file, or null for a TCP socket. */
	private final UnixSocketFile file;

	private boolean closed;

	private ListenSocket(int fd, InetAddress address, int port) {
		this(fd, address, port, null);
	}

	private ListenSocket(int fd, InetAddress address, int port, UnixSocketFile file) {
		this.fd = fd;
		this.address = address;
		this.port = port;
		this.file = file;
	}

	/**
	 * Binds and listens.
	 * @param address the address to bind, or {@code null} for every address (IPv6 and IPv4)
	 * @param port the port, or 0 for any free port
	 * @param backlog the accept queue length
	 * @return the listening socket
	 * @throws BindException if the address is in use or cannot be bound
	 * @throws IOException on any other failure
	 */
	public static ListenSocket bind(InetAddress address, int port, int backlog) throws IOException {
		LibC libc = Native.libc();
		InetAddress bindAddress = (address != null) ? address : InetAddress.getByName("::");
		boolean ipv6 = bindAddress instanceof Inet6Address;
		int fd = libc.socket(ipv6 ? LibC.AF_INET6 : LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
		if (fd < 0 && address == null) {
			// No IPv6 on this host: fall back to every IPv4 address.
			bindAddress = InetAddress.getByName("0.0.0.0");
			ipv6 = false;
			fd = libc.socket(LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
		}
		if (fd < 0) {
			throw Native.error("socket");
		}
		try {
			fd = Descriptors.moveAbove(fd, 2);
			setOption(fd, LibC.SOL_SOCKET, LibC.SO_REUSEADDR, 1);
			if (ipv6 && bindAddress.isAnyLocalAddress()) {
				setOption(fd, LibC.IPPROTO_IPV6, LibC.IPV6_V6ONLY, 0);
			}
			byte[] sockaddr = sockaddr(bindAddress, port);
			if (libc.bind(fd, sockaddr, sockaddr.length) != 0) {
				int errno = Native.errno();
				String where = bindAddress.getHostAddress() + " port " + port;
				throw new BindException(
						(errno == LibC.EADDRINUSE ? "Address already in use: " : libc.strerror(errno) + ": ") + where);
			}
			if (libc.listen(fd, backlog) != 0) {
				throw Native.error("listen");
			}
			return new ListenSocket(fd, bindAddress, localPort(fd));
		}
		catch (IOException | RuntimeException ex) {
			Native.closeQuietly(fd);
			throw ex;
		}
	}

	/**
	 * Binds a Unix domain socket and listens: see {@link UnixSocketFile#bind} for a file
	 * already there, the mode and the group.
	 * @param unix the socket's path, mode and group
	 * @param backlog the accept queue length
	 * @return the listening socket
	 * @throws BindException if a live socket or another file is at the path
	 * @throws IOException on any other failure
	 */
	public static ListenSocket bind(ListenAddress.UnixSocket unix, int backlog) throws IOException {
		UnixSocketFile file = UnixSocketFile.of(unix);
		file.checkReplaceable();
		int fd = Native.libc().socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
		if (fd < 0) {
			throw Native.error("socket");
		}
		try {
			fd = Descriptors.moveAbove(fd, 2);
			file.bind(fd, backlog);
			return new ListenSocket(fd, null, 0, file);
		}
		catch (IOException | RuntimeException ex) {
			Native.closeQuietly(fd);
			throw ex;
		}
	}

	/**
	 * Takes over a listening socket inherited from another process (the old master of an
	 * upgrade): checks that it is one and makes it close-on-exec.
	 * @param fd the inherited descriptor
	 * @return the listening socket
	 * @throws IOException if {@code fd} is not a listening socket
	 */
	public static ListenSocket inherit(int fd) throws IOException {
		int[] accepting = new int[1];
		if (Native.libc().getsockopt(fd, LibC.SOL_SOCKET, LibC.SO_ACCEPTCONN, accepting, new int[] { 4 }) != 0) {
			throw new IOException("Inherited fd " + fd + " is not a socket: " + Native.error("getsockopt").getMessage());
		}
		if (accepting[0] == 0) {
			throw new IOException("Inherited fd " + fd + " is a socket but not a listening one");
		}
		Descriptors.setCloseOnExec(fd);
		byte[] sockaddr = localAddress(fd);
		if (sockaddr[0] == LibC.AF_UNIX && sockaddr[1] == 0) {
			String path = UnixSocketFile.path(sockaddr);
			if (path == null) {
				throw new IOException("Inherited fd " + fd + " is a Unix socket without a path (unnamed or abstract)");
			}
			return new ListenSocket(fd, null, 0, UnixSocketFile.inherited(path));
		}
		boolean ipv6 = sockaddr[0] == LibC.AF_INET6 || sockaddr[1] == LibC.AF_INET6;
		InetAddress address = InetAddress
			.getByAddress(ipv6 ? Arrays.copyOfRange(sockaddr, 8, 24) : Arrays.copyOfRange(sockaddr, 4, 8));
		return new ListenSocket(fd, address, port(sockaddr));
	}

	public int fd() {
		return this.fd;
	}

	public int port() {
		return this.port;
	}

	/** The address of a TCP socket; null for a Unix domain socket. */
	public InetAddress address() {
		return this.address;
	}

	/**
	 * An inherited Unix domain socket's file is removed at close (once nobody listens on it),
	 * as if this master had bound it: the new master of an upgrade serving the same
	 * prefork.unix-socket.path. Never for systemd's socket.
	 */
	public void removeFileAtClose() {
		if (this.file != null) {
			this.file.removeWhenUnused();
		}
	}

	/** A Unix domain socket's path; null for a TCP socket. */
	public String path() {
		return (this.file != null) ? this.file.path() : null;
	}

	/**
	 * Closes the socket; a Unix domain socket's file is removed too if this master bound it
	 * (or {@link #removeFileAtClose()}), unless another process (the other master of an
	 * upgrade, a worker not gone yet) still listens on it.
	 */
	@Override
	public synchronized void close() {
		if (!this.closed) {
			this.closed = true;
			Native.closeQuietly(this.fd);
			if (this.file != null) {
				this.file.removeIfUnused();
			}
		}
	}

	/** Such as {@code *:8080 (fd 9)} when it listens on every address. */
	public String describe() {
		return (this.address != null && this.address.isAnyLocalAddress()) ? "*:" + this.port + " (fd " + this.fd + ")"
				: toString();
	}

	@Override
	public String toString() {
		if (this.file != null) {
			return "unix:" + this.file.path() + " (fd " + this.fd + ")";
		}
		String host = this.address.getHostAddress();
		return (host.contains(":") ? "[" + host + "]" : host) + ":" + this.port + " (fd " + this.fd + ")";
	}

	private static void setOption(int fd, int level, int option, int value) throws IOException {
		if (Native.libc().setsockopt(fd, level, option, new int[] { value }, 4) != 0) {
			throw Native.error("setsockopt");
		}
	}

	private static int localPort(int fd) throws IOException {
		return port(localAddress(fd));
	}

	private static byte[] localAddress(int fd) throws IOException {
		byte[] sockaddr = new byte[UnixSocketFile.SOCKADDR_UN_SIZE];
		if (Native.libc().getsockname(fd, sockaddr, new int[] { sockaddr.length }) != 0) {
			throw Native.error("getsockname");
		}
		return sockaddr;
	}

	private static int port(byte[] sockaddr) {
		return ((sockaddr[2] & 0xff) << 8) | (sockaddr[3] & 0xff);
	}

	/** {@code struct sockaddr_in} or {@code sockaddr_in6}: family in host order, port in network order. */
	static byte[] sockaddr(InetAddress address, int port) {
		boolean ipv6 = address instanceof Inet6Address;
		ByteBuffer buffer = ByteBuffer.allocate(ipv6 ? 28 : 16);
		buffer.order(ByteOrder.nativeOrder()).putShort((short) (ipv6 ? LibC.AF_INET6 : LibC.AF_INET));
		buffer.order(ByteOrder.BIG_ENDIAN).putShort((short) port);
		if (ipv6) {
			buffer.putInt(0).put(address.getAddress()).order(ByteOrder.nativeOrder())
				.putInt(((Inet6Address) address).getScopeId());
		}
		else {
			buffer.put(((Inet4Address) address).getAddress());
		}
		return buffer.array();
	}

}
