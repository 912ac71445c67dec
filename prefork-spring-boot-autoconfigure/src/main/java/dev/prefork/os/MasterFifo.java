package dev.prefork.os;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

import dev.prefork.master.Command;
import dev.prefork.master.ControlCommand;
import dev.prefork.master.Source;
import jnr.constants.platform.OpenFlags;
import jnr.posix.FileStat;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * uWSGI's master FIFO: a named pipe (mode 600) the master reads single-character commands
 * from, e.g. {@code echo r > /run/app.fifo}. See {@link ControlCommand#ofCharacter}.
 *
 * <p>
 * Whoever can write the FIFO can stop or scale the master, so an existing one is used only
 * under {@link OwnedFiles}' rule (no symbolic link, owned by the master's user, writable by
 * nobody else), checked on the descriptor actually opened.
 */
public final class MasterFifo implements Closeable {

	private static final Log logger = LogFactory.getLog(MasterFifo.class);

	/** Written by {@link #close()} to wake the reader; not a command. */
	private static final int WAKE_UP = 0;

	static final int WARNINGS_PER_MINUTE = 5;

	private static final int O_RDWR = OpenFlags.O_RDWR.intValue();

	private static final int EEXIST = 17;

	private static final int ELOOP = 40;

	private final Path path;

	private final boolean created;

	private final int fd;

	private volatile boolean closed;

	private final RateLimit warnings = new RateLimit(WARNINGS_PER_MINUTE, Duration.ofMinutes(1));

	/** Unknown bytes read and not yet reported; only the reader thread touches them. */
	private long ignored;

	private int firstIgnored;

	private MasterFifo(Path path, boolean created, int fd) {
		this.path = path;
		this.created = created;
		this.fd = fd;
	}

	/**
	 * Creates the FIFO if needed and starts reading it.
	 * @param path where the FIFO is
	 * @param commands where commands go
	 * @return the open FIFO
	 * @throws IOException if the path exists and is not a FIFO of this user that only this
	 * user can write, or cannot be created
	 */
	public static MasterFifo open(Path path, Consumer<Command> commands) throws IOException {
		String untrusted = OwnedFiles.pathProblem(path, true);
		if (untrusted != null) {
			throw new IOException(untrusted);
		}
		// mkfifo creates or fails, like O_EXCL, and never follows a symbolic link.
		boolean created = Native.posix().mkfifo(path.toString(), 0600) == 0;
		if (!created && Native.errno() != EEXIST) {
			throw Native.error("mkfifo " + path);
		}
		// Read and write: opening never blocks, and the reader never sees end of file when a
		// writer closes.
		int fd = Native.posix().open(path.toString(), O_RDWR | OwnedFiles.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
		if (fd < 0) {
			int errno = Native.errno();
			throw (errno == ELOOP) ? new IOException(path + " is a symbolic link") : Native.error("open " + path, errno);
		}
		FileStat opened = Native.posix().allocateStat();
		String problem = (Native.posix().fstat(fd, opened) != 0) ? "cannot be inspected"
				: !opened.isFifo() ? "exists and is not a named pipe" : OwnedFiles.problem(opened);
		if (problem != null) {
			Native.closeQuietly(fd);
			throw new IOException(path + " " + problem);
		}
		MasterFifo fifo = new MasterFifo(path, created, fd);
		Thread reader = new Thread(() -> fifo.read(commands), "prefork-fifo");
		reader.setDaemon(true);
		reader.start();
		logger.info("Reading commands from the master FIFO " + path + " (r reload, q stop, Q quick stop, + - scale, "
				+ "l reopen logs, u upgrade)");
		return fifo;
	}

	private void read(Consumer<Command> commands) {
		byte[] buffer = new byte[4096];
		while (!this.closed) {
			int read = (int) Native.posix().read(this.fd, buffer, buffer.length);
			if (read <= 0) {
				if (read < 0 && Native.errno() == LibC.EINTR) {
					continue;
				}
				if (!this.closed) {
					logger.error("Master FIFO " + this.path + " failed: " + Native.error("read").getMessage());
				}
				return;
			}
			for (int i = 0; i < read && !this.closed; i++) {
				int character = buffer[i] & 0xff;
				if (character == WAKE_UP || Character.isWhitespace(character)) {
					continue;
				}
				ControlCommand command = ControlCommand.ofCharacter((char) character).orElse(null);
				if (command != null) {
					commands.accept(command.create(Source.FIFO));
				}
				else if (this.ignored++ == 0) {
					this.firstIgnored = character;
				}
			}
			warnIgnored();
		}
	}

	/**
	 * One warning for all the unknown bytes of a read, and at most a few a minute: whoever
	 * writes noise to the FIFO must not flood the log. Bytes ignored while the warnings are
	 * held back are counted in the next one.
	 */
	private void warnIgnored() {
		if (this.ignored > 0 && !this.closed && this.warnings.tryAcquire()) {
			String first = (this.firstIgnored >= 0x21 && this.firstIgnored < 0x7f) ? "'" + (char) this.firstIgnored + "'"
					: String.format("0x%02x", this.firstIgnored);
			logger.warn("Master FIFO " + this.path + ": ignored " + ((this.ignored == 1) ? "1 unknown command byte ("
					: this.ignored + " unknown command bytes (the first ") + first + "); the commands are "
					+ ControlCommand.characters());
			this.ignored = 0;
		}
	}

	@Override
	public void close() {
		this.closed = true;
		Native.posix().write(this.fd, new byte[] { WAKE_UP }, 1);
		Native.posix().close(this.fd);
		if (this.created) {
			try {
				Files.deleteIfExists(this.path);
			}
			catch (IOException ex) {
				logger.warn("Cannot delete the master FIFO " + this.path + ": " + ex.getMessage());
			}
		}
	}

}
