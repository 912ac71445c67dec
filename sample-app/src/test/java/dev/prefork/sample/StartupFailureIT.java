package dev.prefork.sample;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Starts that must fail, each with one clear message and no process left behind.
 */
@Timeout(180)
class StartupFailureIT {

	@TempDir
	Path temp;

	@Test
	void workersThatCannotBootStopTheMasterInsteadOfLooping() throws Exception {
		MasterProcess.Exited exited = MasterProcess.runToExit("--sample.fail-on-start=true");
		assertThat(exited.code()).isEqualTo(3);
		assertThat(exited.output()).contains("sample.fail-on-start=true: failing on purpose")
			.contains("failed to boot (exit code 3: the application context failed to start)")
			.contains("Stopping the master instead of respawning workers that cannot boot");
		// Worker 1 boots too, unless worker 0 had a head start (fewer than two processors a worker).
		assertThat(exited.output().split("Booting worker 0 ", -1)).as("no respawn of worker 0").hasSize(2);
		assertThat(exited.output().split("Booting worker 1 ", -1)).as("no respawn of worker 1").hasSizeLessThanOrEqualTo(2);
		assertThat(exited.started()).as("the workers were seen, and checked gone").isNotEmpty()
			.allSatisfy((pid) -> assertThat(MasterProcess.isRunning(pid)).as("pid " + pid).isFalse());
	}

	@Test
	void zeroWorkersIsRefused() throws Exception {
		assertRefused(MasterProcess.runToExit("--prefork.workers=0"), "Invalid value '0' for configuration property 'prefork.workers'",
				"must be at least 1");
	}

	@Test
	void nonPositiveTimeoutIsRefused() throws Exception {
		assertRefused(MasterProcess.runToExit("--prefork.timeout=0s"), "'prefork.timeout'",
				"must be a positive duration");
	}

	@Test
	void portInUseIsRefused() throws Exception {
		try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"))) {
			MasterProcess.Exited exited = MasterProcess.runToExit("--server.port=" + taken.getLocalPort());
			assertRefused(exited, "could not bind its listening socket: Address already in use",
					"set server.port to a free port");
		}
	}

	@Test
	void managementPortEqualToServerPortIsRefused() throws Exception {
		int port = MasterProcess.freePort();
		assertRefused(MasterProcess.runToExit("--server.port=" + port, "--management.server.port=" + port),
				"server.port=" + port + " is also the prefork master's management port (management.server.port)",
				"--management.server.port=" + (port + 1));
	}

	@Test
	void managementPortInUseIsNamedAsTheMastersNotTheApplicationsAndStopsTheWorkerAlreadyBooting() throws Exception {
		try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"))) {
			MasterProcess.Exited exited = MasterProcess.runToExit("--management.server.port=" + taken.getLocalPort());
			assertThat(exited.code()).isNotZero();
			assertThat(exited.output()).contains("APPLICATION FAILED TO START")
				.contains("The prefork master could not serve its management endpoints: port " + taken.getLocalPort()
						+ " (management.server.port) is already in use")
				.contains("move the master's endpoints with --management.server.port=")
				.doesNotContain("configure this application to listen on another port");
			// The master loop starts before the management server: worker 0 was booting, and was stopped.
			Matcher booting = Pattern.compile("Booting worker 0 \\(pid ([0-9]+)").matcher(exited.output());
			assertThat(booting.find()).as("worker 0 spawned before the management server failed").isTrue();
			assertThat(exited.output()).contains("stopping the workers");
			long worker = Long.parseLong(booting.group(1));
			assertThat(ProcessHandle.of(worker).map(ProcessHandle::isAlive).orElse(false))
				.as("worker " + worker + " stopped by its master, not orphaned").isFalse();
		}
	}

	@Test
	void aReactiveTypeWithoutWebFluxIsRefused() throws Exception {
		assertRefused(MasterProcess.runToExit("--spring.main.web-application-type=reactive"),
				"is reactive (spring.main.web-application-type=reactive) but WebFlux is not on its class path",
				"Add spring-boot-starter-webflux");
	}

	@Test
	void pidfileOfARunningMasterIsRefused() throws Exception {
		Path pidfile = this.temp.resolve("master.pid");
		long alive = ProcessHandle.current().pid();
		Files.writeString(pidfile, alive + "\n");
		assertRefused(MasterProcess.runToExit("--prefork.pidfile=" + pidfile),
				"names pid " + alive + ", which is still running", "kill -TERM " + alive);
		assertThat(pidfile).hasContent(Long.toString(alive));
	}

	@Test
	void disabledPreforkRunsThePlainApplication() throws Exception {
		try (MasterProcess plain = MasterProcess.start("--prefork.enabled=false")) {
			MasterProcess.await("the plain application to serve", MasterProcess.BOOT, () -> {
				try {
					return plain.get("/whoami").status() == 200;
				}
				catch (java.io.IOException ex) {
					return false;
				}
			});
			assertThat(plain.get("/whoami").json().get("pid").asLong()).isEqualTo(plain.pid());
			assertThat(plain.get("/whoami").json().get("worker").asInt()).isEqualTo(-1);
		}
	}

	private static void assertRefused(MasterProcess.Exited exited, String description, String action) {
		assertThat(exited.code()).isNotZero();
		assertThat(exited.output()).contains("APPLICATION FAILED TO START").contains(description).contains(action);
		assertThat(exited.output()).doesNotContain("Booting worker");
	}

}
