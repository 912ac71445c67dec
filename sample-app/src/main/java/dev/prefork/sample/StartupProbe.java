package dev.prefork.sample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * A user bean with test switches: it records every process that creates it (the prefork
 * master must never do so), and it can make the application fail to start, always or while
 * a file exists (so that the next workers of a running master fail, as a broken deploy), or
 * only in the training run of a class-data archive, or make that training run slow.
 */
@Component
class StartupProbe {

	StartupProbe(@Value("${sample.creation-log:}") String creationLog,
			@Value("${sample.fail-on-start:false}") boolean failOnStart,
			@Value("${sample.fail-on-start-file:}") String failOnStartFile,
			@Value("${sample.fail-in-training:false}") boolean failInTraining,
			@Value("${sample.training-delay:0s}") java.time.Duration trainingDelay) throws IOException, InterruptedException {
		if (!creationLog.isEmpty()) {
			Files.writeString(Path.of(creationLog), ProcessHandle.current().pid() + "\n", StandardOpenOption.CREATE,
					StandardOpenOption.APPEND);
		}
		if (failOnStart) {
			throw new IllegalStateException("sample.fail-on-start=true: failing on purpose");
		}
		if (failInTraining && "training".equals(System.getenv("PREFORK_ROLE"))) {
			throw new IllegalStateException("sample.fail-in-training=true: failing the class-data archive's training run");
		}
		if ("training".equals(System.getenv("PREFORK_ROLE"))) {
			Thread.sleep(trainingDelay.toMillis());
		}
		if (!failOnStartFile.isEmpty() && Files.exists(Path.of(failOnStartFile))) {
			throw new IllegalStateException(failOnStartFile + " exists: failing on purpose");
		}
	}

}
