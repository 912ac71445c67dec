package dev.prefork.autoconfigure;

import java.util.List;

import dev.prefork.protocol.WorkerEnvironment;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * What this JVM is: a master, a worker, or a plain application.
 */
enum PreforkRole {

	/** Owns the socket and supervises workers; never creates the user's context. */
	MASTER,

	/** The user's application, serving the master's socket. */
	WORKER,

	/** prefork is off: the application runs as plain Spring Boot. */
	NONE;

	/** Frames that mean the application is being run by a test, not launched by a user. */
	private static final List<String> TEST_FRAMES = List.of("org.junit.", "org.testng.", "org.springframework.test.",
			"org.springframework.boot.test.", "org.apache.maven.surefire.", "io.cucumber.");

	/**
	 * Decides the role. A worker is one the master started; a master is a web (servlet or
	 * reactive) application launched from its {@code main} method with prefork enabled; anything
	 * else, a test context in particular, is a plain application.
	 * @param application the application being started
	 * @param environment its prepared environment
	 * @param stack the stack of the thread that runs the application
	 * @param threadName the name of that thread
	 * @return the role
	 */
	static PreforkRole decide(SpringApplication application, Environment environment, StackTraceElement[] stack,
			String threadName) {
		if (WorkerEnvironment.ROLE_WORKER.equals(environment.getProperty(WorkerEnvironment.ROLE))) {
			return WORKER;
		}
		if (WorkerEnvironment.ROLE_TRAINING.equals(environment.getProperty(WorkerEnvironment.ROLE))
				|| application.getAllSources().contains(PreforkMasterApplication.class)
				|| !environment.getProperty("prefork.enabled", Boolean.class, true) || !"main".equals(threadName)
				|| isTest(stack)) {
			return NONE;
		}
		WebApplicationType type = webApplicationType(application, environment);
		return (type == WebApplicationType.NONE) ? NONE : MASTER;
	}

	/**
	 * The application's type as Spring Boot decides it: {@code spring.main.web-application-type}
	 * if set, else what its class path holds.
	 */
	static WebApplicationType webApplicationType(SpringApplication application, Environment environment) {
		return Binder.get(environment)
			.bind("spring.main.web-application-type", WebApplicationType.class)
			.orElse(application.getWebApplicationType());
	}

	private static boolean isTest(StackTraceElement[] stack) {
		for (StackTraceElement element : stack) {
			for (String prefix : TEST_FRAMES) {
				if (element.getClassName().startsWith(prefix)) {
					return true;
				}
			}
		}
		return false;
	}

}
