package dev.prefork.autoconfigure;

import java.util.List;

/**
 * The web server the workers run the application on, as the master chose it for itself
 * ({@link PreforkMasterRunner#masterServer}): what it can serve besides a TCP socket.
 *
 * @param name such as {@code Tomcat}
 */
record WorkerStack(String name) {

	static WorkerStack of(Class<?>[] masterServer) {
		List<Class<?>> classes = List.of(masterServer);
		return new WorkerStack(classes.contains(TomcatMasterServer.class) ? "Tomcat"
				: classes.contains(JettyMasterServer.class) ? "Jetty" : "Reactor Netty");
	}

	/**
	 * Why the workers cannot serve the Unix domain socket at {@code path}, or null if they can:
	 * Tomcat and Reactor Netty (epoll) take an inherited one; Jetty's connector would need its
	 * own Unix-socket module (jetty-unixdomain-server).
	 */
	String unixSocketProblem(String path) {
		return !this.name.equals("Jetty") ? null
				: "a Unix domain socket (" + path + ") is served by workers on Tomcat or Reactor Netty only; this "
						+ "application runs on " + this.name;
	}

}
