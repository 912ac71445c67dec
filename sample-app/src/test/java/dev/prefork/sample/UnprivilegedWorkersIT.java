package dev.prefork.sample;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
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
		Path pidfile = this.temp.resolve("master.pid");
		try (MasterProcess master = MasterProcess.start("--prefork.workers=2", "--server.port=" + port,
				"--prefork.user=" + USER, "--prefork.pidfile=" + pidfile)) {
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
			assertThat(master.isAlive()).isTrue();
			assertThat(Files.readString(pidfile).trim()).isEqualTo(Long.toString(master.pid()));
			assertThat(MasterProcess.get(port, "/whoami").status()).isEqualTo(200);
		}
	}

	@Test
	void anUnknownUserOrAGroupAloneIsRefused() throws Exception {
		MasterProcess.Exited unknown = MasterProcess.runToExit("--prefork.user=prefork-no-such-user");
		assertThat(unknown.code()).isNotZero();
		assertThat(unknown.output()).contains("APPLICATION FAILED TO START")
			.contains("prefork.user=prefork-no-such-user: no such user on this machine")
			.doesNotContain("Booting worker");
		MasterProcess.Exited groupAlone = MasterProcess.runToExit("--prefork.group=" + USER);
		assertThat(groupAlone.code()).isNotZero();
		assertThat(groupAlone.output()).contains("prefork.group=" + USER + " is set without prefork.user");
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
