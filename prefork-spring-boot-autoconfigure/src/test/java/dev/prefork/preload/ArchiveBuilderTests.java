package dev.prefork.preload;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class ArchiveBuilderTests {

	@TempDir
	Path temp;

	@Test
	void aFailedStepIsExplainedByItsRootCauseNotTheJvmsClassDataWarnings() throws Exception {
		Path log = this.temp.resolve("build.log");
		Files.writeString(log, """
				org.springframework.beans.factory.BeanCreationException: Error creating bean 'startupProbe'
				\tat org.springframework.beans.factory.support.AbstractBeanFactory.getBean(AbstractBeanFactory.java:1)
				Caused by: java.lang.IllegalStateException: sample.fail-in-training=true: failing on purpose
				\tat dev.prefork.sample.StartupProbe.<init>(StartupProbe.java:33)

				[2.345s][warning][cds] Skipping dev/prefork/sample/Foo: Failed verification
				[2.346s][warning][aot] Some classes were not archived

				""");
		assertThat(ArchiveBuilder.lastLine(log))
			.isEqualTo("Caused by: java.lang.IllegalStateException: sample.fail-in-training=true: failing on purpose");
		Files.writeString(log, "started\n[0.1s][warning][cds] Skipping Foo\n");
		assertThat(ArchiveBuilder.lastLine(log)).isEqualTo("started");
		Files.writeString(log, "");
		assertThat(ArchiveBuilder.lastLine(log)).isEqualTo("no output");
	}

	@Test
	void aStepAtIdlePriorityRunsUnderTheSchedulerOnOneProcessor() {
		assertThat(ArchiveBuilder.atIdlePriority(List.of("java", "-Xmx1g", "-XX:ActiveProcessorCount=4", "-jar", "app.jar",
				"--x"), List.of("chrt", "--idle", "0")))
			.as("the last processor count wins")
			.containsExactly("chrt", "--idle", "0", "java", "-Xmx1g", "-XX:ActiveProcessorCount=4",
					"-XX:ActiveProcessorCount=1", "-jar", "app.jar", "--x");
		assertThat(ArchiveBuilder.atIdlePriority(List.of("java", "-cp", "app.jar", "-Xshare:on", "-version"),
				List.of("nice", "-n", "19")))
			.containsExactly("nice", "-n", "19", "java", "-XX:ActiveProcessorCount=1", "-cp", "app.jar", "-Xshare:on",
					"-version");
		assertThat(ArchiveBuilder.atIdlePriority(List.of("java", "-version"), List.of()))
			.containsExactly("java", "-XX:ActiveProcessorCount=1", "-version");
	}

}
