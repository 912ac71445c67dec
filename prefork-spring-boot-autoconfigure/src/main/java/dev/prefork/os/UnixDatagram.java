package dev.prefork.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Datagrams to a Unix socket named by a path, or by an abstract name when it starts with
 * {@code @} (systemd's NOTIFY_SOCKET): a socket per message, closed once sent.
 */
public final class UnixDatagram {

	private final String name;

	private final byte[] address;

	private UnixDatagram(String name) {
		this.name = name;
		this.address = sockaddrUn(name);
	}

	/** @param socket a path, or {@code @name} for an abstract socket */
	public static UnixDatagram to(String socket) {
		return new UnixDatagram(socket);
	}

	/**
	 * Sends {@code message} (UTF-8) in one datagram.
	 * @throws IOException if the socket cannot be made or the datagram not sent
	 */
	public void send(String message) throws IOException {
		LibC libc = Native.libc();
		int fd = libc.socket(LibC.AF_UNIX, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
		try {
			byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
			if (fd < 0 || libc.sendto(fd, bytes, bytes.length, LibC.MSG_NOSIGNAL, this.address, this.address.length) < 0) {
				throw Native.error("sendto " + this.name);
			}
		}
		finally {
			Native.closeQuietly(fd);
		}
	}

	/** struct sockaddr_un for a path, or an abstract name when it starts with '@'. */
	static byte[] sockaddrUn(String socket) {
		byte[] path = socket.getBytes(StandardCharsets.UTF_8);
		boolean abstractName = socket.startsWith("@");
		byte[] address = new byte[2 + path.length + (abstractName ? 0 : 1)];
		address[0] = (byte) LibC.AF_UNIX;
		System.arraycopy(path, 0, address, 2, path.length);
		if (abstractName) {
			address[2] = 0;
		}
		return address;
	}

}
