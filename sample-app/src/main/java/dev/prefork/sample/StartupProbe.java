package dev.prefork.sample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * A user bean with two test switches: it records every process that creates it (the prefork
 * master must never do so), and it can make the application fail to start.
 */
@Component
class StartupProbe {

	StartupProbe(@Value("${sample.creation-log:}") String creationLog,
			@Value("${sample.fail-on-start:false}") boolean failOnStart) throws IOException {
		if (!creationLog.isEmpty()) {
			Files.writeString(Path.of(creationLog), ProcessHandle.current().pid() + "\n", StandardOpenOption.CREATE,
					StandardOpenOption.APPEND);
		}
		if (failOnStart) {
			throw new IllegalStateException("sample.fail-on-start=true: failing on purpose");
		}
	}

}
