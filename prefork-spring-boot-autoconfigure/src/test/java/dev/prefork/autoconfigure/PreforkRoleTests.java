package dev.prefork.autoconfigure;

import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class PreforkRoleTests {

	private static final StackTraceElement[] LAUNCHED = { new StackTraceElement("com.example.App", "main", "App.java", 9) };

	private final SpringApplication application = new SpringApplication(Object.class);

	private final MockEnvironment environment = new MockEnvironment();

	PreforkRoleTests() {
		this.application.setWebApplicationType(WebApplicationType.SERVLET);
	}

	@Test
	void servletApplicationLaunchedFromMainIsAMaster() {
		assertThat(decide(LAUNCHED, "main")).isEqualTo(PreforkRole.MASTER);
	}

	@Test
	void applicationStartedByATestIsNeverAMaster() {
		assertThat(decide(Thread.currentThread().getStackTrace(), "main")).isEqualTo(PreforkRole.NONE);
	}

	@Test
	void applicationStartedOffTheMainThreadIsNotAMaster() {
		assertThat(decide(LAUNCHED, "restartedMain")).isEqualTo(PreforkRole.NONE);
	}

	@Test
	void disabledPreforkRunsAPlainApplication() {
		this.environment.setProperty("prefork.enabled", "false");
		assertThat(decide(LAUNCHED, "main")).isEqualTo(PreforkRole.NONE);
	}

	@Test
	void processStartedByAMasterIsAWorker() {
		this.environment.setProperty("PREFORK_ROLE", "worker");
		assertThat(decide(LAUNCHED, "main")).isEqualTo(PreforkRole.WORKER);
	}

	@Test
	void nonWebApplicationRunsPlain() {
		this.environment.setProperty("spring.main.web-application-type", "none");
		assertThat(decide(LAUNCHED, "main")).isEqualTo(PreforkRole.NONE);
	}

	@Test
	void aReactiveApplicationIsAMasterToo() {
		this.application.setWebApplicationType(WebApplicationType.REACTIVE);
		assertThat(decide(LAUNCHED, "main")).isEqualTo(PreforkRole.MASTER);
	}

	@Test
	void theMasterServesOnTheApplicationsStackAndNamesWhatItCannotServe() {
		ClassLoader loader = getClass().getClassLoader();
		assertThat(PreforkMasterRunner.masterServer(loader, WebApplicationType.SERVLET))
			.containsExactly(ServletMasterServer.class, TomcatMasterServer.class);
		assertThat(PreforkMasterRunner.masterServer(new FilteredClassLoader("org.apache.catalina"),
				WebApplicationType.SERVLET))
			.containsExactly(ServletMasterServer.class, JettyMasterServer.class);
		assertThat(PreforkMasterRunner.masterServer(loader, WebApplicationType.REACTIVE))
			.containsExactly(ReactiveMasterServer.class, NettyMasterServer.class);
		assertThat(PreforkMasterRunner.masterServer(new FilteredClassLoader("reactor.netty"),
				WebApplicationType.REACTIVE))
			.containsExactly(ReactiveMasterServer.class, TomcatMasterServer.class);
		assertThat(PreforkMasterRunner.masterServer(new FilteredClassLoader("reactor.netty", "org.apache.catalina"),
				WebApplicationType.REACTIVE))
			.containsExactly(ReactiveMasterServer.class, JettyMasterServer.class);
		ClassLoader noContainer = new FilteredClassLoader("org.apache.catalina", "org.eclipse.jetty");
		assertThatExceptionOfType(PreforkStartupException.class)
			.isThrownBy(() -> PreforkMasterRunner.masterServer(noContainer, WebApplicationType.SERVLET))
			.withMessageContaining("Spring MVC on Tomcat or Jetty only")
			.satisfies((ex) -> assertThat(ex.getAction()).contains("prefork.enabled=false"));
		ClassLoader noServer = new FilteredClassLoader("reactor.netty", "org.apache.catalina", "org.eclipse.jetty");
		assertThatExceptionOfType(PreforkStartupException.class)
			.isThrownBy(() -> PreforkMasterRunner.masterServer(noServer, WebApplicationType.REACTIVE))
			.withMessageContaining("WebFlux applications on Reactor Netty, Tomcat or Jetty only");
		ClassLoader noWebFlux = new FilteredClassLoader("org.springframework.web.reactive");
		assertThatExceptionOfType(PreforkStartupException.class)
			.isThrownBy(() -> PreforkMasterRunner.masterServer(noWebFlux, WebApplicationType.REACTIVE))
			.withMessageContaining("WebFlux is not on its class path");
	}

	@Test
	void theMastersOwnApplicationIsNotAMaster() {
		SpringApplication master = new SpringApplication(PreforkMasterApplication.class);
		assertThat(PreforkRole.decide(master, this.environment, LAUNCHED, "main")).isEqualTo(PreforkRole.NONE);
	}

	private PreforkRole decide(StackTraceElement[] stack, String thread) {
		return PreforkRole.decide(this.application, this.environment, stack, thread);
	}

}
