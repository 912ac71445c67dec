package dev.prefork.sample;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/: the Kubernetes manifests pass their schemas, the Dockerfile its linter, the
 * systemd units systemd-analyze, and they agree with prefork (deploy/validate.sh).
 */
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class DeployFilesIT {

	@BeforeAll
	static void installTools() throws Exception {
		MasterProcess.installTestTools();
	}


	private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

	@Test
	void deploymentFilesAreValid() throws Exception {
		MasterProcess.Ran validate = MasterProcess.run(Duration.ofMinutes(10), null,
				ROOT.resolve("deploy/validate.sh").toString());
		String output = validate.output();
		assertThat(validate.code()).as(output).isZero();
		assertThat(output).contains("ok   systemd units", "ok   deployment.yaml", "ok   Dockerfile", "0 failed");
	}

}
