package dev.prefork.os;

import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import dev.prefork.master.Command;
import dev.prefork.master.Source;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * uWSGI's master FIFO: a named pipe (mode 600) the master reads single-character commands
 * from, e.g. {@code echo r > /run/app.fifo}. See {@link ControlCharacters#ofCharacter}.
 */
public final class MasterFifo implements Closeable {

	private static final Log logger = LogFactory.getLog(MasterFifo.class);

	/** Written by {@link #close()} to wake the reader; not a command. */
	private static final int WAKE_UP = 0;

	private final Path path;

	private final boolean created;

	private final RandomAccessFile fifo;

	private volatile boolean closed;

	private MasterFifo(Path path, boolean created, RandomAccessFile fifo) {
		this.path = path;
		this.created = created;
		this.fifo = fifo;
	}

	/**
	 * Creates the FIFO if needed and starts reading it.
	 * @param path where the FIFO is
	 * @param commands where commands go
	 * @return the open FIFO
	 * @throws IOException if the path exists and is not a FIFO, or cannot be created
	 */
	public static MasterFifo open(Path path, Consumer<Command> commands) throws IOException {
		boolean created = false;
		if (Files.exists(path)) {
			if (!Native.posix().stat(path.toString()).isFifo()) {
				throw new IOException(path + " exists and is not a named pipe");
			}
		}
		else {
			if (Native.posix().mkfifo(path.toString(), 0600) != 0) {
				throw Native.error("mkfifo " + path);
			}
			created = true;
		}
		// Read and write: opening never blocks, and the reader never sees end of file when a
		// writer closes.
		MasterFifo fifo = new MasterFifo(path, created, new RandomAccessFile(path.toFile(), "rw"));
		Thread reader = new Thread(() -> fifo.read(commands), "prefork-fifo");
		reader.setDaemon(true);
		reader.start();
		logger.info("Reading commands from the master FIFO " + path + " (r reload, q stop, Q quick stop, + - scale, "
				+ "l reopen logs, u upgrade)");
		return fifo;
	}

	private void read(Consumer<Command> commands) {
		try {
			int character;
			while ((character = this.fifo.read()) >= 0 && !this.closed) {
				if (character == WAKE_UP || Character.isWhitespace(character)) {
					continue;
				}
				Command command = ControlCharacters.ofCharacter((char) character, Source.FIFO);
				if (command != null) {
					commands.accept(command);
				}
				else {
					logger.warn("Master FIFO " + this.path + ": ignoring unknown command '" + (char) character
							+ "'; the commands are r q Q + - l u");
				}
			}
		}
		catch (IOException ex) {
			if (!this.closed) {
				logger.error("Master FIFO " + this.path + " failed: " + ex.getMessage());
			}
		}
	}

	@Override
	public void close() {
		this.closed = true;
		try {
			this.fifo.write(WAKE_UP);
			this.fifo.close();
		}
		catch (IOException ex) {
			// closing anyway
		}
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
