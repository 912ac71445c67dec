package dev.prefork.autoconfigure;

import java.nio.file.Path;

import dev.prefork.master.ListenAddress;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * {@code prefork.unix-socket}: workers serve a Unix domain socket instead of
 * {@code server.address} and {@code server.port}, as gunicorn's {@code bind = "unix:..."}
 * and uWSGI's {@code socket} with {@code chmod-socket}.
 */
public class UnixSocketProperties {

	/**
	 * Path of the Unix domain socket the master binds and the workers serve, such as
	 * /run/app/app.sock, instead of server.address and server.port. A socket left there by a
	 * master that died is replaced; one a process listens on refuses the start. Removed at
	 * exit. Unset: TCP.
	 */
	private String path;

	/**
	 * Permission bits of the socket, in octal: connecting needs write permission (660: the
	 * master's user and the socket's group, such as a reverse proxy's).
	 */
	private String mode = "660";

	/**
	 * Group (name or gid) the socket is given, such as the reverse proxy's (www-data). Unset:
	 * the master's group.
	 */
	private String group;

	public String getPath() {
		return this.path;
	}

	public void setPath(String path) {
		this.path = path;
	}

	public String getMode() {
		return this.mode;
	}

	public void setMode(String mode) {
		this.mode = mode;
	}

	public String getGroup() {
		return this.group;
	}

	public void setGroup(String group) {
		this.group = group;
	}

	/** The socket to serve, checked, or null when workers serve TCP. */
	ListenAddress.UnixSocket toUnixSocket() {
		if (this.path == null || this.path.isBlank()) {
			if (this.group != null && !this.group.isBlank()) {
				throw new InvalidConfigurationPropertyValueException("prefork.unix-socket.group", this.group,
						"is set without prefork.unix-socket.path");
			}
			return null;
		}
		if (this.path.startsWith("@") || this.path.indexOf('\0') >= 0) {
			throw new InvalidConfigurationPropertyValueException("prefork.unix-socket.path", this.path,
					"must be a file path (abstract sockets are not supported)");
		}
		String bits = (this.mode != null) ? this.mode.trim() : "";
		if (!bits.matches("0?[0-7]{3}")) {
			throw new InvalidConfigurationPropertyValueException("prefork.unix-socket.mode", this.mode,
					"must be octal permission bits such as 660 (owner and group) or 666 (every user)");
		}
		int mode = Integer.parseInt(bits, 8);
		if ((mode & 0200) == 0) {
			throw new InvalidConfigurationPropertyValueException("prefork.unix-socket.mode", this.mode,
					"must let the owner write (connect): such as 660");
		}
		String group = (this.group != null && !this.group.isBlank()) ? this.group.trim() : null;
		if (group != null && group.chars().allMatch(Character::isDigit) && (group.length() > 9)) {
			throw new InvalidConfigurationPropertyValueException("prefork.unix-socket.group", this.group,
					"must be a group name or a group id");
		}
		// Absolute: workers and the new master of an upgrade compare it with the socket's own name.
		String path = Path.of(this.path.trim()).toAbsolutePath().normalize().toString();
		return new ListenAddress.UnixSocket(path, mode, group);
	}

}
