package dev.prefork.worker.tomcat;

import dev.prefork.worker.WorkerServer;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.tomcat.TomcatConnectorCustomizer;

import static org.assertj.core.api.Assertions.assertThat;

class TomcatWorkerAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(TomcatWorkerAutoConfiguration.class));

	@Test
	void aWorkerServesTheInheritedSocketThroughTomcat() {
		this.runner.withPropertyValues("prefork.role=worker").run((context) -> {
			assertThat(context).hasSingleBean(WorkerServer.Finder.class);
			assertThat(context).hasSingleBean(TomcatConnectorCustomizer.class);
			assertThat(context).hasBean("preforkSharedSocketProtocol");
		});
	}

	@Test
	void aTrainingRunOnlyFindsItsTomcatForTheWarmUp() {
		this.runner.withPropertyValues("prefork.role=training").run((context) -> {
			assertThat(context).hasSingleBean(WorkerServer.Finder.class);
			assertThat(context).doesNotHaveBean(TomcatConnectorCustomizer.class);
			assertThat(context).doesNotHaveBean("preforkSharedSocketProtocol");
		});
	}

	@Test
	void aPlainApplicationGetsNothing() {
		this.runner.run((context) -> assertThat(context).doesNotHaveBean(WorkerServer.Finder.class)
			.doesNotHaveBean(TomcatConnectorCustomizer.class));
	}

	@Test
	void backsOffWithoutTomcat() {
		this.runner.withPropertyValues("prefork.role=worker")
			.withClassLoader(new FilteredClassLoader(Tomcat.class))
			.run((context) -> assertThat(context).doesNotHaveBean(WorkerServer.Finder.class));
	}

	@Test
	void findsTomcatOnlyNotAnyOtherServer() {
		assertThat(TomcatWorkerServer.of(null)).isNull();
	}

}
