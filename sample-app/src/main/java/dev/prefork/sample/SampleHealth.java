package dev.prefork.sample;

import java.nio.file.Files;
import java.nio.file.Path;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * The application's own health component {@code sample}, as a user has one for a resource
 * of theirs: DOWN while the file {@code sample.health.down-file} names exists.
 */
@Component("sampleHealthIndicator")
class SampleHealth implements HealthIndicator {

	private final String downFile;

	SampleHealth(@Value("${sample.health.down-file:}") String downFile) {
		this.downFile = downFile;
	}

	@Override
	public Health health() {
		boolean down = !this.downFile.isEmpty() && Files.exists(Path.of(this.downFile));
		return (down ? Health.down() : Health.up()).withDetail("pid", ProcessHandle.current().pid()).build();
	}

}
