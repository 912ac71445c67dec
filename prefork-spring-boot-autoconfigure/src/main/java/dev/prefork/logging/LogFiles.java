package dev.prefork.logging;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import dev.prefork.os.OwnedFiles;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

import org.springframework.util.ClassUtils;

/**
 * Reopens log files after logrotate moved them away (SIGUSR1): every started Logback file
 * appender opens its configured path again, creating a new file there, and closes the old one.
 *
 * <p>
 * The new file is opened without following a symbolic link and must be a regular file of
 * the master's user ({@link OwnedFiles#openToAppend}): otherwise another user who can write
 * the log directory could point the path at any file this user may write, and the next
 * USR1 would append log lines to it. A refused file is not reopened; the appender goes on
 * writing to the file it had open. {@link #warnIfOthersCanReplace()} warns at start about
 * log files in directories other users can write.
 */
public final class LogFiles {

	private static final Log logger = LogFactory.getLog(LogFiles.class);

	private static final boolean LOGBACK = ClassUtils.isPresent("ch.qos.logback.classic.LoggerContext",
			LogFiles.class.getClassLoader());

	private LogFiles() {
	}

	/** Reopens every file appender; a no-op without Logback. */
	public static void reopen() {
		if (!LOGBACK) {
			logger.warn("Log files are reopened with Logback only; nothing reopened");
			return;
		}
		int reopened = Logback.reopen();
		logger.info("Reopened " + reopened + " log file(s)");
	}

	/**
	 * Warns about every log file another user could replace (its directory or one above it
	 * is writable by others or theirs): a USR1 would not reopen it once it is.
	 */
	public static void warnIfOthersCanReplace() {
		for (String problem : untrusted()) {
			logger.warn("Log file " + problem + "; a reopen (USR1) refuses it once another user replaced it: keep log "
					+ "files in directories only root and this user can write");
		}
	}

	/** Why each log file another user could replace could be, e.g. {@code "/srv/log/app.log: /srv/log is ..."}. */
	static List<String> untrusted() {
		return LOGBACK ? Logback.untrusted() : List.of();
	}

	private static final class Logback {

		/** Per appender, the descriptor its stream was reopened from: /proc/self/fd/N must keep naming it. */
		private static final Map<FileAppender<?>, Integer> opened = new IdentityHashMap<>();

		static synchronized int reopen() {
			int reopened = 0;
			for (FileAppender<?> file : fileAppenders()) {
				Path path = Path.of(file.getFile()).toAbsolutePath();
				// O_NOFOLLOW covers the last name only: a directory above it swapped for a link
				// by another user would move the file where they choose.
				String untrusted = OwnedFiles.pathProblem(path, true);
				if (untrusted != null) {
					logger.error("Not reopening log file " + path + ": " + untrusted
							+ "; log lines go on to the file it had open");
					continue;
				}
				int fd;
				try {
					fd = OwnedFiles.openToAppend(path);
				}
				catch (IOException ex) {
					logger.error("Not reopening log file " + path + ": " + ex.getMessage()
							+ "; log lines go on to the file it had open");
					continue;
				}
				try {
					// The file just checked, by its descriptor: the path is not looked up again.
					file.openFile("/proc/self/fd/" + fd);
				}
				catch (IOException ex) {
					OwnedFiles.close(fd);
					logger.error("Cannot reopen log file " + path + ": " + ex.getMessage());
					continue;
				}
				Integer previous = opened.put(file, fd);
				if (previous != null) {
					OwnedFiles.close(previous);
				}
				reopened++;
			}
			return reopened;
		}

		static List<String> untrusted() {
			List<String> problems = new ArrayList<>();
			for (FileAppender<?> file : fileAppenders()) {
				Path path = Path.of(file.getFile()).toAbsolutePath();
				String problem = OwnedFiles.pathProblem(path, false);
				if (problem != null) {
					problems.add(path + ": " + problem);
				}
			}
			return problems;
		}

		static List<FileAppender<?>> fileAppenders() {
			ILoggerFactory factory = LoggerFactory.getILoggerFactory();
			if (!(factory instanceof LoggerContext context)) {
				return List.of();
			}
			List<FileAppender<?>> files = new ArrayList<>();
			for (Logger each : context.getLoggerList()) {
				for (Iterator<Appender<ch.qos.logback.classic.spi.ILoggingEvent>> appenders = each
					.iteratorForAppenders(); appenders.hasNext();) {
					if (appenders.next() instanceof FileAppender<?> file && file.isStarted() && !files.contains(file)) {
						files.add(file);
					}
				}
			}
			return files;
		}

	}

}
