package dev.prefork.os;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Reaps orphans for a master that is PID 1 (a container's entry point, {@code exec java
 * -jar}) or a subreaper: processes that the application's workers started and left behind
 * are reparented to the master, and would stay zombies forever. Workers and every process
 * the JVM started itself are reaped by their own waiting threads the moment they exit, so a
 * child that has been a zombie for a whole scan (a second) belongs to nobody else and is
 * reaped here; never {@code waitpid(-1)}, which would steal those threads' exit statuses.
 */
public final class OrphanReaper implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(OrphanReaper.class);

	private static final long SCAN_MILLIS = 1000;

	private final long pid;

	private final Thread thread;

	private Set<Long> zombiesBefore = Set.of();

	private OrphanReaper(long pid) {
		this.pid = pid;
		this.thread = new Thread(this::run, "prefork-orphan-reaper");
		this.thread.setDaemon(true);
	}

	/**
	 * Starts reaping if this process is PID 1; with {@code subreaper}, makes it a subreaper
	 * first (Linux {@code PR_SET_CHILD_SUBREAPER}) and reaps in any case.
	 * @return the reaper, idle when orphans never reach this process
	 */
	public static OrphanReaper startIfNeeded(boolean subreaper) {
		long pid = ProcessHandle.current().pid();
		if (subreaper && pid != 1 && Native.libc().prctl(LibC.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
			logger.warn("Could not become a subreaper: " + Native.error("prctl").getMessage());
			return new OrphanReaper(pid);
		}
		if (pid != 1 && !subreaper) {
			return new OrphanReaper(pid);
		}
		logger.info((pid == 1) ? "The master is PID 1: it reaps orphaned processes too"
				: "The master is a subreaper: it reaps orphaned processes too");
		OrphanReaper reaper = new OrphanReaper(pid);
		reaper.thread.start();
		return reaper;
	}

	private void run() {
		while (!Thread.currentThread().isInterrupted()) {
			try {
				Thread.sleep(SCAN_MILLIS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
			scanOnce();
		}
	}

	void scanOnce() {
		Set<Long> zombies = zombieChildren();
		for (long zombie : zombies) {
			if (this.zombiesBefore.contains(zombie)) {
				int[] status = new int[1];
				if (Native.posix().waitpid(zombie, status, LibC.WNOHANG) == zombie) {
					logger.info("Reaped orphaned process " + zombie + " (" + ExitStatusText.of(status[0]) + ")");
				}
			}
		}
		this.zombiesBefore = zombies;
	}

	private Set<Long> zombieChildren() {
		Set<Long> zombies = new HashSet<>();
		try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
			entries.map((entry) -> entry.getFileName().toString())
				.filter((name) -> name.chars().allMatch(Character::isDigit))
				.forEach((name) -> {
					String stat = read(Path.of("/proc", name, "stat"));
					int end = (stat != null) ? stat.lastIndexOf(')') : -1;
					if (end < 0) {
						return;
					}
					String[] fields = stat.substring(end + 2).split(" ");
					if (fields.length > 1 && fields[0].equals("Z") && Long.parseLong(fields[1]) == this.pid) {
						zombies.add(Long.parseLong(name));
					}
				});
		}
		catch (IOException | RuntimeException ex) {
			logger.debug("Cannot scan /proc for orphans: " + ex);
		}
		return zombies;
	}

	private static String read(Path path) {
		try {
			return Files.readString(path);
		}
		catch (IOException ex) {
			return null; // gone meanwhile
		}
	}

	@Override
	public void close() {
		this.thread.interrupt();
	}

	/** waitpid's status word as a person reads it. */
	static final class ExitStatusText {

		private ExitStatusText() {
		}

		static String of(int status) {
			int signal = status & 0x7f;
			return (signal == 0) ? "exit code " + ((status >> 8) & 0xff) : "killed by signal " + signal;
		}

	}

}
