package dev.prefork.logging;

import java.io.IOException;
import java.util.Iterator;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

import org.springframework.util.ClassUtils;

/**
 * Reopens log files after logrotate moved them away (SIGUSR1): every started Logback file
 * appender opens its configured path again, creating a new file there, and closes the old one.
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

	private static final class Logback {

		static int reopen() {
			ILoggerFactory factory = LoggerFactory.getILoggerFactory();
			if (!(factory instanceof LoggerContext context)) {
				return 0;
			}
			int reopened = 0;
			for (Logger each : context.getLoggerList()) {
				for (Iterator<Appender<ch.qos.logback.classic.spi.ILoggingEvent>> appenders = each
					.iteratorForAppenders(); appenders.hasNext();) {
					if (appenders.next() instanceof FileAppender<?> file && file.isStarted()) {
						try {
							file.openFile(file.getFile());
							reopened++;
						}
						catch (IOException ex) {
							logger.error("Cannot reopen log file " + file.getFile() + ": " + ex.getMessage());
						}
					}
				}
			}
			return reopened;
		}

	}

}
