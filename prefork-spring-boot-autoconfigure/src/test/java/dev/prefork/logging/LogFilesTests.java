package dev.prefork.logging;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import dev.prefork.os.Native;
import dev.prefork.os.OtherUser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * USR1's reopen of log files in a directory another user can write (issue 22): a real
 * Logback file appender, real modes, a real second user replacing the log file.
 */
class LogFilesTests {

	private static OtherUser other;

	@TempDir
	Path temp;

	/** Writable by everyone, not sticky: another user may rename and replace any entry. */
	private Path open;

	private Path log;

	private Path secret;

	private FileAppender<ILoggingEvent> appender;

	private Logger logger;

	@BeforeAll
	static void makeOtherUser() throws Exception {
		other = OtherUser.create();
	}

	@AfterAll
	static void removeOtherUser() throws Exception {
		if (other != null) {
			other.close();
		}
	}

	@BeforeEach
	void logFileInADirectoryOthersCanWrite() throws Exception {
		Files.setPosixFilePermissions(this.temp, PosixFilePermissions.fromString("rwxr-xr-x"));
		this.open = Files.createDirectory(this.temp.resolve("log"));
		Native.posix().chmod(this.open.toString(), 0777);
		this.log = this.open.resolve("app.log");
		this.secret = Files.writeString(Files.createFile(this.temp.resolve("secret"),
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))), "root only\n");
		LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
		PatternLayoutEncoder encoder = new PatternLayoutEncoder();
		encoder.setContext(context);
		encoder.setPattern("%msg%n");
		encoder.start();
		this.appender = new FileAppender<>();
		this.appender.setContext(context);
		this.appender.setName("reopen-test");
		this.appender.setFile(this.log.toString());
		this.appender.setEncoder(encoder);
		this.appender.start();
		this.logger = context.getLogger("dev.prefork.logging.test");
		this.logger.setAdditive(false);
		this.logger.addAppender(this.appender);
		this.logger.info("before");
	}

	@AfterEach
	void removeAppender() {
		this.logger.detachAppender(this.appender);
		this.appender.stop();
	}

	@Test
	void aLogFileReplacedByASymbolicLinkIsNotReopened() throws Exception {
		Path rotated = this.open.resolve("app.log.1");
		other.run("mv", this.log.toString(), rotated.toString());
		other.run("ln", "-s", this.secret.toString(), this.log.toString());
		LogFiles.reopen();
		this.logger.info("after");
		assertThat(this.secret).hasContent("root only");
		assertThat(rotated).hasContent("before\nafter");
	}

	@Test
	void aLogFileReplacedByAnotherUsersFileIsNotReopened() throws Exception {
		Path rotated = this.open.resolve("app.log.1");
		other.run("mv", this.log.toString(), rotated.toString());
		other.run("touch", this.log.toString());
		LogFiles.reopen();
		this.logger.info("after");
		assertThat(this.log).isEmptyFile();
		assertThat(rotated).hasContent("before\nafter");
	}

	@Test
	void aLogDirectorySwappedForALinkIsNotFollowed() throws Exception {
		// the log file is in a directory of root, inside a directory everyone can write
		Path sub = Files.createDirectory(this.open.resolve("sub"));
		Path target = Files.createDirectory(this.temp.resolve("target"));
		this.appender.stop();
		this.appender.setFile(sub.resolve("app.log").toString());
		this.appender.start();
		this.logger.info("before");
		other.run("mv", sub.toString(), this.open.resolve("sub.old").toString());
		other.run("ln", "-s", target.toString(), sub.toString());
		LogFiles.reopen();
		this.logger.info("after");
		assertThat(target.resolve("app.log")).as("created where the other user pointed").doesNotExist();
		assertThat(this.open.resolve("sub.old").resolve("app.log")).hasContent("before\nafter");
	}

	@Test
	void aLogFileMovedAwayIsCreatedAgain() throws Exception {
		Native.posix().chmod(this.open.toString(), 0755);
		Path rotated = Files.move(this.log, this.open.resolve("app.log.1"));
		LogFiles.reopen();
		this.logger.info("after");
		assertThat(rotated).hasContent("before");
		assertThat(this.log).hasContent("after");
		assertThat(LogFiles.untrusted()).noneMatch((problem) -> problem.startsWith(this.log.toString()));
		LogFiles.reopen();
		this.logger.info("again");
		assertThat(this.log).hasContent("after\nagain");
	}

	@Test
	void aLogFileInADirectoryOthersCanWriteIsReportedAtStart() {
		assertThat(LogFiles.untrusted()).contains(this.log + ": " + this.open
				+ " is writable by group or others (mode 0777), so another user can replace " + this.log);
	}

}
