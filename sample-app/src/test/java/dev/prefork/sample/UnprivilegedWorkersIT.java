package dev.prefork.sample;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A master started as root binds a port below 1024 and runs its workers as another user
 * ({@code prefork.user}), who can signal neither the master nor write its files. The test
 * makes a real system user for it, and removes it afterwards.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class UnprivilegedWorkersIT {

	/** One user per test JVM: forks run side by side. */
	private static final String USER = "prefork-w" + ProcessHandle.current().pid();

	private static int uid;

	private static int gid;

	@TempDir
	Path temp;

	@BeforeAll
	static void aRealUser() throws Exception {
		assertThat(MasterProcess.run(Duration.ofSeconds(10), null, "id", "-u").output().trim())
			.as("these tests run as root, as CI does").isEqualTo("0");
		MasterProcess.run(Duration.ofSeconds(30), null, "userdel", USER);
		MasterProcess.Ran added = MasterProcess.run(Duration.ofSeconds(30), null, "useradd", "--system",
				"--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", USER);
		assertThat(added.code()).as("useradd " + USER + "\n" + added.output()).isZero();
		uid = Integer.parseInt(MasterProcess.run(Duration.ofSeconds(10), null, "id", "-u", USER).output().trim());
		gid = Integer.parseInt(MasterProcess.run(Duration.ofSeconds(10), null, "id", "-g", USER).output().trim());
	}

	@AfterAll
	static void removeTheUser() throws Exception {
		MasterProcess.Ran removed = MasterProcess.run(Duration.ofSeconds(30), null, "userdel", USER);
		assertThat(removed.code()).as("userdel " + USER + "\n" + removed.output()).isZero();
	}

	@Test
	void workersRunAsTheUserOnAPrivilegedPortAndCannotSignalTheMasterNorWriteItsFiles() throws Exception {
		int port = freePrivilegedPort();
		// A directory anyone may pass through: only the files' own modes keep the workers out.
		Path run = Files.createDirectory(this.temp.resolve("run"));
		Files.setPosixFilePermissions(this.temp, PosixFilePermissions.fromString("rwxr-xr-x"));
		Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
		Path pidfile = run.resolve("master.pid");
		Path token = run.resolve("control-token");
		Files.writeString(token, "s3cret-" + ProcessHandle.current().pid() + "\n");
		Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
		try (MasterProcess master = MasterProcess.start("--prefork.workers=2", "--server.port=" + port,
				"--prefork.user=" + USER, "--prefork.pidfile=" + pidfile, "--prefork.control.token-file=" + token,
				MasterProcess.TEST_ENDPOINTS)) {
			JsonNode ready = master.awaitReady(2);
			assertThat(ids(master.pid(), "Uid")).as("the master").containsOnly(0);
			List<Long> workers = new ArrayList<>();
			for (JsonNode worker : ready.get("workers")) {
				long pid = worker.get("pid").asLong();
				workers.add(pid);
				assertThat(ids(pid, "Uid")).as("real, effective, saved and file-system uid of worker " + pid)
					.containsExactly(uid, uid, uid, uid);
				assertThat(ids(pid, "Gid")).as("gids of worker " + pid).containsExactly(gid, gid, gid, gid);
				assertThat(ids(pid, "Groups")).as("the user's groups, not root's").containsExactly(gid);
				String[] stat = Files.readString(Path.of("/proc/" + pid + "/stat")).replaceFirst("^.*\\) ", "").split(" ");
				assertThat(stat[3]).as("worker " + pid + " leads a session of its own").isEqualTo(Long.toString(pid));
				assertThat(stat[4]).as("and has no controlling terminal").isEqualTo("0");
				assertThat(MasterProcess.commandLine(pid)).contains("-XX:SharedArchiveFile=");
				assertThat(Files.readString(Path.of("/proc/" + pid + "/maps"))).as("the archive, readable by the "
						+ "workers' group, is mapped").contains(".jsa");
			}
			MasterProcess.Response served = MasterProcess.get(port, "/whoami");
			assertThat(served.status()).isEqualTo(200);
			assertThat(workers).contains(served.json().get("pid").asLong());
			assertThat(master.output()).contains("Workers run as user " + USER + " (uid " + uid + "), group " + USER
					+ " (gid " + gid + "), through /");

			MasterProcess.Ran kill = asTheWorkersUser("kill", "-TERM", Long.toString(master.pid()));
			assertThat(kill.code()).as("kill -TERM <master> as the workers' user").isNotZero();
			assertThat(kill.output()).contains("Operation not permitted");
			MasterProcess.Ran write = asTheWorkersUser("sh", "-c", "echo 1 >> " + pidfile);
			assertThat(write.code()).as("writing the pidfile as the workers' user").isNotZero();
			assertThat(asTheWorkersUser("cat", token.toString()).code()).as("reading the token file").isNotZero();
			MasterProcess.Ran command = asTheWorkersUser("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + master.managementPort
					+ " && printf 'POST /actuator/prefork/stop HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\nContent-Length: 0\\r\\n\\r\\n' >&3"
					+ " && head -1 <&3");
			assertThat(command.output()).as("a command on the management port without the token").startsWith("HTTP/1.1 401");
			// Nor may the application's code ask the master for commands (PreforkControl).
			assertThat(master.post("/admin/reload").status()).isEqualTo(200);
			master.awaitLog("Ignoring a command from the application in pid ");
			assertThat(master.output()).doesNotContain("Reloading (source: application)");
			assertThat(master.isAlive()).isTrue();
			assertThat(Files.readString(pidfile).trim()).isEqualTo(Long.toString(master.pid()));
			assertThat(MasterProcess.get(port, "/whoami").status()).isEqualTo(200);
		}
	}

	@Test
	void anUnknownUserAGroupAloneOrCommandsWithoutATokenAreRefused() throws Exception {
		MasterProcess.Exited unknown = MasterProcess.runToExit("--prefork.user=prefork-no-such-user");
		assertThat(unknown.code()).isNotZero();
		assertThat(unknown.output()).contains("APPLICATION FAILED TO START")
			.contains("prefork.user=prefork-no-such-user: no such user on this machine")
			.doesNotContain("Booting worker");
		MasterProcess.Exited groupAlone = MasterProcess.runToExit("--prefork.group=" + USER);
		assertThat(groupAlone.code()).isNotZero();
		assertThat(groupAlone.output()).contains("prefork.group=" + USER + " is set without prefork.user");
		MasterProcess.Exited noToken = MasterProcess.runToExit("--prefork.user=" + USER);
		assertThat(noToken.code()).isNotZero();
		assertThat(noToken.output()).contains("takes commands from any local process without a token, the workers "
				+ "included").doesNotContain("Booting worker");
	}

	private static MasterProcess.Ran asTheWorkersUser(String... command) throws Exception {
		List<String> full = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--init-groups"));
		full.addAll(List.of(command));
		return MasterProcess.run(Duration.ofSeconds(30), null, full.toArray(String[]::new));
	}

	/** The ids of a {@code /proc/PID/status} line such as {@code Uid:} or {@code Groups:}. */
	private static List<Integer> ids(long pid, String field) throws IOException {
		for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
			if (line.startsWith(field + ":")) {
				String values = line.substring(field.length() + 1).trim();
				return values.isEmpty() ? List.of() : List.of(values.split("\\s+")).stream().map(Integer::valueOf).toList();
			}
		}
		throw new IllegalStateException("No " + field + " in /proc/" + pid + "/status");
	}

	/** A port below 1024 nobody listens on, 80 first. */
	private static int freePrivilegedPort() {
		for (int port = 80; port < 1024; port++) {
			try (ServerSocket socket = new ServerSocket(port)) {
				return port;
			}
			catch (IOException ex) {
				// taken, next one
			}
		}
		throw new IllegalStateException("No free port below 1024");
	}

}
