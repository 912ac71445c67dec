package dev.prefork.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.web.servlet.FilterRegistrationBean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;

class PreforkWorkerAutoConfigurationTests {

	// The whole auto-configuration needs the master's environment (PREFORK_GRACEFUL_TIMEOUT_MS).

	@Test
	void aServletWorkerCountsRequestsWithAFilter() {
		new WebApplicationContextRunner()
			.withUserConfiguration(PreforkWorkerAutoConfiguration.ServletRequestCounting.class)
			.withBean(WorkerRequestStats.class)
			.run((context) -> assertThat(context).hasSingleBean(FilterRegistrationBean.class));
	}

	@Test
	void withoutAServletContextThereIsNoFilter() {
		new ApplicationContextRunner().withUserConfiguration(PreforkWorkerAutoConfiguration.ServletRequestCounting.class)
			.withBean(WorkerRequestStats.class)
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(FilterRegistrationBean.class));
	}

	@Test
	void theDrainerAsksTheServerThatItsFinderRecognizes() {
		List<Duration> drains = new ArrayList<>();
		WebServer tomcat = mock(WebServer.class);
		WebServerApplicationContext context = mock(WebServerApplicationContext.class);
		given(context.getWebServer()).willReturn(tomcat);
		WorkerServer.Finder finder = (webServer) -> (webServer == tomcat) ? new FakeServer(drains) : null;
		given(context.getBeanProvider(WorkerServer.Finder.class))
			.willReturn(new StaticListableBeanFactory(Map.of("finder", finder)).getBeanProvider(WorkerServer.Finder.class));
		assertThat(WorkerAgent.server(context)).isInstanceOf(FakeServer.class);
		new ConnectionDrainer(context, Duration.ofSeconds(4)).stop();
		assertThat(drains).as("half the graceful timeout when it is short").containsExactly(Duration.ofSeconds(2));
		given(context.getWebServer()).willReturn(mock(WebServer.class));
		assertThat(WorkerAgent.server(context)).isNull();
		new ConnectionDrainer(context, Duration.ofSeconds(30)).stop();
		assertThat(drains).hasSize(1);
	}

	private record FakeServer(List<Duration> drains) implements WorkerServer {

		@Override
		public void startAccepting() {
		}

		@Override
		public int drain(Duration max) {
			this.drains.add(max);
			return 0;
		}

		@Override
		public Executor requestExecutor() {
			return Runnable::run;
		}

		@Override
		public WarmupConnector openWarmupConnector() {
			throw new IllegalStateException("no warm-up here");
		}

	}

}
