package dev.prefork.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import jnr.posix.Group;
import jnr.posix.POSIX;
import jnr.posix.Passwd;

/**
 * The user and group workers run as ({@code prefork.user}, {@code prefork.group}) under a
 * master started as root. posix_spawn cannot change a child's user, and a switch inside the
 * worker would come after its JVM opened files and started threads as root, so util-linux
 * {@code setpriv} goes in front of the worker's {@code java}: it sets the real, effective and
 * saved ids and the supplementary groups, then runs java, which never holds root.
 * @param name the user's name, or its uid where the machine has no entry for it
 * @param uid the user's id
 * @param gid the group's id
 * @param groupName the group's name, or its gid
 * @param knownUser whether the machine has a passwd entry for the user (its supplementary
 * groups are then given too)
 * @param setpriv the setpriv executable
 */
public record WorkerUser(String name, int uid, int gid, String groupName, boolean knownUser, Path setpriv) {

	/** Where util-linux puts setpriv (Debian, Ubuntu, Fedora, RHEL; Alpine's setpriv package). */
	private static final List<Path> SETPRIV = List.of(Path.of("/usr/bin/setpriv"), Path.of("/bin/setpriv"),
			Path.of("/usr/sbin/setpriv"), Path.of("/sbin/setpriv"));

	/**
	 * The user and group to run workers as, checked against this machine.
	 * @param user a user name or uid ({@code prefork.user}); {@code null} for none
	 * @param group a group name or gid ({@code prefork.group}); {@code null} for the user's own
	 * @return the user, or {@code null} when workers run as the master's user (no user given,
	 * or the one given is the master's own)
	 * @throws IOException with what is wrong: an unknown user or group, a master that is not
	 * root, no setpriv
	 */
	public static WorkerUser resolve(String user, String group) throws IOException {
		if (isBlank(user)) {
			if (!isBlank(group)) {
				throw new IOException("prefork.group=" + group + " is set without prefork.user");
			}
			return null;
		}
		POSIX posix = Native.posix();
		Passwd entry = isNumber(user) ? posix.getpwuid(Integer.parseInt(user.trim())) : posix.getpwnam(user.trim());
		if (entry == null && !isNumber(user)) {
			throw new IOException("prefork.user=" + user + ": no such user on this machine");
		}
		int uid = (entry != null) ? (int) entry.getUID() : Integer.parseInt(user.trim());
		String name = (entry != null) ? entry.getLoginName() : Integer.toString(uid);
		int gid;
		String groupName;
		if (isBlank(group)) {
			if (entry == null) {
				throw new IOException("prefork.user=" + user + " has no entry on this machine: set prefork.group too");
			}
			gid = (int) entry.getGID();
			Group primary = posix.getgrgid(gid);
			groupName = (primary != null) ? primary.getName() : Integer.toString(gid);
		}
		else {
			Group found = isNumber(group) ? posix.getgrgid(Integer.parseInt(group.trim())) : posix.getgrnam(group.trim());
			if (found == null && !isNumber(group)) {
				throw new IOException("prefork.group=" + group + ": no such group on this machine");
			}
			gid = (found != null) ? (int) found.getGID() : Integer.parseInt(group.trim());
			groupName = (found != null) ? found.getName() : Integer.toString(gid);
		}
		int euid = posix.geteuid();
		if (uid == euid && gid == posix.getegid()) {
			return null;
		}
		if (uid == 0 || gid == 0) {
			throw new IOException("prefork.user=" + user + (isBlank(group) ? "" : ", prefork.group=" + group)
					+ ": workers never run as root or with the root group (" + ((uid == 0) ? "uid 0" : "gid 0") + ")");
		}
		if (euid != 0) {
			throw new IOException("prefork.user=" + user + (isBlank(group) ? "" : ", prefork.group=" + group)
					+ ": the master runs as uid " + euid + ", not root, and cannot start workers as another user");
		}
		Path setpriv = SETPRIV.stream().filter(Files::isExecutable).findFirst().orElse(null);
		if (setpriv == null) {
			throw new IOException("prefork.user needs util-linux's setpriv, which this machine does not have (looked in "
					+ SETPRIV + ")");
		}
		return new WorkerUser(name, uid, gid, groupName, entry != null, setpriv);
	}

	/**
	 * The command that runs {@code executable} with {@code argv} as this user.
	 * @param executable the program's path
	 * @param argv its arguments, {@code argv[0]} first
	 * @return setpriv's argv; its executable is {@link #setpriv()}
	 */
	public List<String> wrap(String executable, List<String> argv) {
		List<String> command = new ArrayList<>();
		command.add(this.setpriv.toString());
		command.add("--reuid=" + this.uid);
		command.add("--regid=" + this.gid);
		// The user's supplementary groups, as login gives them; none for a uid without an entry.
		command.add(this.knownUser ? "--init-groups" : "--clear-groups");
		command.add("--");
		command.add(executable);
		command.addAll(argv.subList(1, argv.size()));
		return command;
	}

	/**
	 * Gives an open file (a pipe to a worker) to this user and group.
	 * @throws IOException if fchown fails
	 */
	void own(int fd) throws IOException {
		if (Native.posix().fchown(fd, this.uid, this.gid) != 0) {
			throw Native.error("fchown");
		}
	}

	/** E.g. {@code user app (uid 999), group app (gid 999)}. */
	public String describe() {
		return "user " + this.name + " (uid " + this.uid + "), group " + this.groupName + " (gid " + this.gid + ")";
	}

	private static boolean isBlank(String value) {
		return value == null || value.isBlank();
	}

	private static boolean isNumber(String value) {
		return value.trim().matches("[0-9]{1,9}");
	}

}
