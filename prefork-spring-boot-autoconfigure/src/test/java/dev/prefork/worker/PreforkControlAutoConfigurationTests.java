package dev.prefork.worker;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

class PreforkControlAutoConfigurationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(PreforkControlAutoConfiguration.class));

	@Test
	void outsideAMasterTheControlIsInert() {
		this.runner.run((context) -> {
			PreforkControl control = context.getBean(PreforkControl.class);
			assertThat(control.isUnderMaster()).isFalse();
			control.reload();
		});
	}

	@Test
	void backsOffWhenTheApplicationDefinesItsOwn() {
		List<String> sent = new ArrayList<>();
		this.runner.withBean(PreforkControl.class, () -> new PreforkControl(sent::add)).run((context) -> {
			assertThat(context).hasSingleBean(PreforkControl.class);
			context.getBean(PreforkControl.class).scaleUp();
			assertThat(sent).containsExactly("scale-up");
		});
	}

	@Test
	void workerAutoConfigurationNeedsTheWorkerRole() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(PreforkWorkerAutoConfiguration.class))
			.run((context) -> assertThat(context).doesNotHaveBean(ConnectionDrainer.class));
	}

}
