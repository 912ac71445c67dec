package dev.prefork.touchreload;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;


import dev.prefork.master.Command;
import dev.prefork.master.ControlCommand;
import dev.prefork.master.Source;
import dev.prefork.os.OwnedFiles;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * uWSGI's touch-reload: the master reloads when a file's modification time changes
 * ({@code touch /srv/app/reload}), or when the file appears. Polled once a second, which
 * works on every file system, including network and container mounts.
 */
public final class TouchReload implements Closeable {

	private static final Log logger = LogFactory.getLog(TouchReload.class);

	private static final long POLL_MILLIS = 1000;

	private final Path path;

	private final Consumer<Command> commands;

	private final ScheduledExecutorService poller;

	private FileTime lastModified;

	private TouchReload(Path path, Consumer<Command> commands) {
		this.path = path;
		this.commands = commands;
		this.lastModified = modified(path);
		this.poller = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "prefork-touch-reload");
			thread.setDaemon(true);
			return thread;
		});
	}

	/**
	 * Starts watching.
	 * @param path the file to watch
	 * @param commands where the reload goes
	 * @return the watcher
	 */
	public static TouchReload watch(Path path, Consumer<Command> commands) {
		TouchReload watcher = new TouchReload(path, commands);
		watcher.poller.scheduleWithFixedDelay(watcher::check, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
		logger.info("Reloading when " + path + " is touched" + ((watcher.lastModified == null) ? " (it does not exist yet)" : ""));
		String untrusted = untrusted(path);
		if (untrusted != null) {
			logger.warn("prefork.touch-reload: " + untrusted + ", so another user can trigger a reload; keep the file "
					+ "and its directory writable by this user only");
		}
		return watcher;
	}

	/**
	 * Why another user could touch the file, create it (it need not exist yet), or replace a
	 * directory on its path, or {@code null}.
	 */
	public static String untrusted(Path path) {
		return OwnedFiles.pathProblem(path, false);
	}

	private void check() {
		FileTime modified = modified(this.path);
		if (modified != null && !Objects.equals(modified, this.lastModified)) {
			logger.info(this.path + " was touched");
			this.commands.accept(ControlCommand.RELOAD.create(Source.FILE));
		}
		this.lastModified = modified;
	}

	private static FileTime modified(Path path) {
		try {
			return Files.getLastModifiedTime(path);
		}
		catch (IOException ex) {
			return null;
		}
	}

	@Override
	public void close() {
		this.poller.shutdownNow();
	}

}
