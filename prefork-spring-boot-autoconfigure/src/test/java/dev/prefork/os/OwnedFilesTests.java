package dev.prefork.os;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.prefork.master.Command;
import dev.prefork.pidfile.Pidfile;
import dev.prefork.touchreload.TouchReload;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

/**
 * Files another user planted or can change: the master FIFO, the pidfile and the
 * touch-reload file, with real modes and a real second user in a shared directory.
 */
class OwnedFilesTests {

	/** Made by the first test that needs a second user (those need root; the others run as anyone). */
	private static OtherUser other;

	@TempDir
	Path directory;

	/** A directory like /tmp: everyone may create entries, only their owner may replace them. */
	private Path shared;

	private final List<Command> commands = new CopyOnWriteArrayList<>();

	@AfterAll
	static void removeOtherUser() throws Exception {
		if (other != null) {
			other.close();
		}
	}

	private static synchronized OtherUser other() throws Exception {
		if (other == null) {
			other = OtherUser.create();
		}
		return other;
	}

	@BeforeEach
	void sharedDirectory() throws Exception {
		Files.setPosixFilePermissions(this.directory, PosixFilePermissions.fromString("rwxr-xr-x"));
		this.shared = Files.createDirectory(this.directory.resolve("shared"));
		Files.setPosixFilePermissions(this.shared, PosixFilePermissions.fromString("rwxrwxrwx"));
		Native.posix().chmod(this.shared.toString(), 01777);
	}

	@Test
	void fifoMadeByAnotherUserIsRefused() throws Exception {
		Path fifo = this.shared.resolve("master.fifo");
		other().run("mkfifo", "-m", "600", fifo.toString());
		assertThatIOException().isThrownBy(() -> MasterFifo.open(fifo, this.commands::add))
			.withMessage(fifo + " is owned by uid " + other().uid() + ", not by this master's user (uid 0)");
	}

	@Test
	void fifoWritableByOthersIsRefused() throws Exception {
		Path fifo = this.shared.resolve("master.fifo");
		assertThat(Native.posix().mkfifo(fifo.toString(), 0600)).isZero();
		Native.posix().chmod(fifo.toString(), 0666);
		assertThatIOException().isThrownBy(() -> MasterFifo.open(fifo, this.commands::add))
			.withMessage(fifo + " is writable by group or others (mode 0666)");
	}

	@Test
	void fifoBehindASymbolicLinkIsRefused() throws Exception {
		Path target = this.directory.resolve("real.fifo");
		assertThat(Native.posix().mkfifo(target.toString(), 0600)).isZero();
		Path link = Files.createSymbolicLink(this.shared.resolve("master.fifo"), target);
		assertThatIOException().isThrownBy(() -> MasterFifo.open(link, this.commands::add))
			.withMessage(link + " is a symbolic link");
	}

	@Test
	void regularFileIsNoFifo() throws Exception {
		Path file = Files.createFile(this.directory.resolve("master.fifo"));
		assertThatIOException().isThrownBy(() -> MasterFifo.open(file, this.commands::add))
			.withMessage(file + " exists and is not a named pipe");
	}

	@Test
	void newFifoIsPrivateAndGoneAfterClose() throws Exception {
		Path path = this.shared.resolve("master.fifo");
		try (MasterFifo fifo = MasterFifo.open(path, this.commands::add)) {
			assertThat(OwnedFiles.lstat(path).isFifo()).isTrue();
			assertThat(OwnedFiles.lstat(path).mode() & 0777).isEqualTo(0600);
			Files.writeString(path, "r");
			awaitCommands(1);
		}
		assertThat(path).doesNotExist();
	}

	@Test
	void ownPrivateFifoIsReusedAndKept() throws Exception {
		Path path = this.directory.resolve("master.fifo");
		assertThat(Native.posix().mkfifo(path.toString(), 0600)).isZero();
		try (MasterFifo fifo = MasterFifo.open(path, this.commands::add)) {
			Files.writeString(path, "+\u0007");
			awaitCommands(1);
		}
		assertThat(OwnedFiles.lstat(path).isFifo()).isTrue();
	}

	@Test
	void pidfilePlantedByAnotherUserIsRefused() throws Exception {
		Path pidfile = this.shared.resolve("master.pid");
		other().run("sh", "-c", "echo 1 > " + pidfile);
		assertThatIOException().isThrownBy(() -> Pidfile.write(pidfile, ProcessHandle.current().pid()))
			.isInstanceOf(Pidfile.UntrustedException.class)
			.withMessageContaining("is owned by uid " + other().uid());
		assertThat(pidfile).hasContent("1");
	}

	@Test
	void pidfileAndFifoInADirectoryAnotherUserCanReplaceAreRefused() throws Exception {
		// the other user owns a world-writable directory without the sticky bit: they can
		// rename our directory below it away and put their own in its place
		Path cache = Files.createDirectory(this.directory.resolve("cache"));
		Files.setPosixFilePermissions(cache, PosixFilePermissions.fromString("rwxrwxrwx"));
		Path run = Files.createDirectory(cache.resolve("run"));
		Path pidfile = run.resolve("master.pid");
		assertThatIOException().isThrownBy(() -> Pidfile.write(pidfile, ProcessHandle.current().pid()))
			.isInstanceOf(Pidfile.UntrustedException.class)
			.withMessage(cache + " is writable by group or others (mode 0777), so another user can replace " + run);
		assertThat(pidfile).doesNotExist();
		Path fifo = run.resolve("master.fifo");
		assertThatIOException().isThrownBy(() -> MasterFifo.open(fifo, this.commands::add))
			.withMessageContaining(cache + " is writable by group or others");
		assertThat(fifo).doesNotExist();
	}

	@Test
	void pidfileThatIsASymbolicLinkIsRefused() throws Exception {
		Path victim = Files.writeString(this.directory.resolve("victim"), "data");
		Path pidfile = Files.createSymbolicLink(this.directory.resolve("master.pid"), victim);
		assertThatIOException().isThrownBy(() -> Pidfile.write(pidfile, ProcessHandle.current().pid()))
			.withMessage(pidfile + " is a symbolic link");
		assertThat(victim).hasContent("data");
	}

	@Test
	void touchReloadFileOthersCanTouchIsReported() throws Exception {
		Path planted = this.shared.resolve("reload");
		other().run("touch", planted.toString());
		assertThat(TouchReload.untrusted(planted)).isEqualTo(planted + " is owned by uid " + other().uid()
				+ ", not by this master's user (uid 0)");
		Path open = this.directory.resolve("open/reload");
		Files.createDirectories(open.getParent());
		Native.posix().chmod(open.getParent().toString(), 0777);
		assertThat(TouchReload.untrusted(open)).isEqualTo(open.getParent()
				+ " is writable by group or others (mode 0777), so another user can replace " + open);
		Path own = Files.createFile(this.directory.resolve("reload"));
		assertThat(TouchReload.untrusted(own)).isNull();
	}

	@Test
	void touchReloadFileNotCreatedYetInASharedDirectoryIsReported() throws Exception {
		Path missing = this.shared.resolve("reload");
		assertThat(TouchReload.untrusted(missing)).isEqualTo(
				missing + " does not exist, and another user can create it in " + this.shared + " (mode 1777)");
		other().run("touch", missing.toString());
		assertThat(TouchReload.untrusted(missing)).contains(missing + " is owned by uid " + other().uid());
	}

	@Test
	void touchReloadFileInADirectoryOfAnotherUserIsReported() throws Exception {
		Path theirs = Files.createDirectory(this.directory.resolve("theirs"));
		Native.posix().chown(theirs.toString(), other().uid(), -1);
		Path reload = Files.createFile(theirs.resolve("reload"));
		assertThat(TouchReload.untrusted(reload)).isEqualTo(
				theirs + " is owned by uid " + other().uid() + ", not by root or uid 0, so that user can replace what it holds");
	}

	/**
	 * An image's files are root's and its processes another user's: a jar of root's is as
	 * safe to run as one of the master's user, and still not one that others can write.
	 */
	@Test
	void theApplicationJarMayBeRootsAsInAnImage() throws Exception {
		Path jar = Files.createFile(this.directory.resolve("app.jar"));
		Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
		assertThat(OwnedFiles.readOnlyPathProblem(jar, other().uid())).isNull();
		assertThat(OwnedFiles.pathProblem(jar, other().uid(), false)).isEqualTo(jar + " is owned by uid 0, not by uid "
				+ other().uid());
		Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-rw-rw-"));
		assertThat(OwnedFiles.readOnlyPathProblem(jar, other().uid())).isEqualTo(jar
				+ " is writable by group or others (mode 0666)");
		Path theirs = Files.createFile(this.directory.resolve("theirs.jar"));
		Native.posix().chown(theirs.toString(), other().uid(), -1);
		assertThat(OwnedFiles.readOnlyPathProblem(theirs, 0)).isEqualTo(theirs + " is owned by uid " + other().uid()
				+ ", not by this master's user (uid 0)");
	}

	@Test
	void everyDirectoryOnThePathCountsAsInSshdStrictModes() throws Exception {
		Path mine = Files.createDirectories(this.directory.resolve("a/b"));
		// Missing in a private directory: only root and this user can create it.
		assertThat(OwnedFiles.pathProblem(mine.resolve("c/file"), false)).isNull();
		// Sticky: an entry of this user passes; a missing one only if the master creates it.
		Path ours = Files.createDirectory(this.shared.resolve("ours"));
		assertThat(OwnedFiles.pathProblem(ours.resolve("file"), false)).isNull();
		assertThat(OwnedFiles.pathProblem(this.shared.resolve("new"), true)).isNull();
		assertThat(OwnedFiles.pathProblem(this.shared.resolve("new/file"), true))
			.isEqualTo(this.shared.resolve("new") + " does not exist, and another user can create it in " + this.shared
					+ " (mode 1777)");
		// A symbolic link another user made in a sticky directory.
		Path theirs = this.shared.resolve("link");
		other().run("ln", "-s", mine.toString(), theirs.toString());
		assertThat(OwnedFiles.pathProblem(theirs.resolve("file"), false))
			.isEqualTo(theirs + " is owned by uid " + other().uid() + " in the shared directory " + this.shared
					+ " (mode 1777)");
		// A link of this user is followed: the directories of its target count, and .. is
		// taken from the target as the kernel does.
		Path open = Files.createDirectory(this.directory.resolve("open"));
		Native.posix().chmod(open.toString(), 0777);
		Path inOpen = Files.createDirectory(open.resolve("x"));
		Path link = Files.createSymbolicLink(mine.resolve("link"), inOpen);
		assertThat(OwnedFiles.pathProblem(link.resolve("file"), false))
			.isEqualTo(open + " is writable by group or others (mode 0777), so another user can replace " + inOpen);
		// Lexically mine/y, a safe path; for the kernel open/y.
		assertThat(OwnedFiles.pathProblem(link.resolve("../y"), false))
			.isEqualTo(open + " is writable by group or others (mode 0777), so another user can replace " + inOpen);
		// The file itself: the rule of problem(Path).
		Path file = Files.createFile(mine.resolve("file"));
		Native.posix().chmod(file.toString(), 0664);
		assertThat(OwnedFiles.pathProblem(file, false)).isEqualTo(file + " is writable by group or others (mode 0664)");
	}

	private void awaitCommands(int count) throws InterruptedException {
		long deadline = System.nanoTime() + 10_000_000_000L;
		while (this.commands.size() < count) {
			assertThat(System.nanoTime()).as("commands read from the FIFO").isLessThan(deadline);
			Thread.sleep(10);
		}
	}

}
