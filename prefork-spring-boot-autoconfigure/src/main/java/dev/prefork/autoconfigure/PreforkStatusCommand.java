package dev.prefork.autoconfigure;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;

import dev.prefork.status.StatusClient;
import dev.prefork.status.StatusTable;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;

/**
 * {@code java -jar app.jar --prefork.signal=status --prefork.pidfile=/run/app.pid [--json]}:
 * prints the running master's worker table, or with {@code --json} its status document, like
 * {@code gunicornc show workers} or {@code uwsgitop}. It asks the master's management server,
 * found in this command's configuration as the master finds it (so run it with the master's
 * configuration: the same jar, files and {@code management.*} options), with the master's
 * {@code prefork.control.token} or token file when one is set.
 */
final class PreforkStatusCommand {

	static final String NAME = "status";

	private PreforkStatusCommand() {
	}

	/**
	 * Prints the status of the master {@code pid}, already checked to be this application's.
	 * @return the process exit code: 0 printed, 1 no answer
	 */
	static int run(Environment environment, long pid, PrintStream out, PrintStream err) {
		URI uri;
		String token;
		try {
			uri = statusUri(environment);
			token = ControlToken.of(Binder.get(environment)
				.bind("prefork.control", PreforkProperties.Control.class)
				.orElseGet(PreforkProperties.Control::new));
		}
		catch (IllegalStateException ex) {
			err.println("prefork.signal=status: " + ex.getMessage());
			return 1;
		}
		catch (PreforkStartupException ex) {
			err.println("prefork.signal=status: " + ex.getMessage() + " " + ex.getAction());
			return 1;
		}
		StatusClient.Answer answer;
		try {
			answer = StatusClient.fetch(uri, token, pid);
		}
		catch (IOException ex) {
			err.println("prefork.signal=status: " + ex.getMessage());
			return 1;
		}
		out.print(json(environment) ? answer.text() + "\n" : StatusTable.render(answer.tree()));
		out.flush();
		return 0;
	}

	/**
	 * Where the master serves {@code /actuator/prefork}: {@code management.server.*} and the
	 * endpoints' base path as the master applies them.
	 * @throws IllegalStateException if the master has no management server
	 */
	static URI statusUri(Environment environment) {
		int port = environment.getProperty("management.server.port", Integer.class,
				MasterEnvironment.DEFAULT_MANAGEMENT_PORT);
		if (port <= 0) {
			throw new IllegalStateException("the master has no management server (management.server.port=" + port
					+ "); the status needs one (the default, " + MasterEnvironment.DEFAULT_MANAGEMENT_PORT
					+ ", on 127.0.0.1)");
		}
		String host = environment.getProperty("management.server.address", MasterEnvironment.DEFAULT_MANAGEMENT_ADDRESS)
			.trim();
		host = (host.isEmpty() || host.equals("0.0.0.0") || host.equals("::")) ? "127.0.0.1" : host;
		host = (host.contains(":") && !host.startsWith("[")) ? "[" + host + "]" : host;
		String scheme = environment.getProperty("management.server.ssl.enabled", Boolean.class, false) ? "https"
				: "http";
		String endpoint = environment.getProperty("management.endpoints.web.path-mapping.prefork", "prefork");
		String path = "/" + trimSlashes(environment.getProperty("management.server.base-path", "")) + "/"
				+ trimSlashes(environment.getProperty("management.endpoints.web.base-path", "/actuator")) + "/"
				+ trimSlashes(endpoint);
		return URI.create(scheme + "://" + host + ":" + port + path.replaceAll("/+", "/"));
	}

	private static String trimSlashes(String path) {
		return path.replaceAll("^/+|/+$", "");
	}

	/** {@code --json} on the command line (a bare {@code --json} is a property named json there). */
	private static boolean json(Environment environment) {
		if (!(environment instanceof ConfigurableEnvironment configurable)) {
			return false;
		}
		PropertySource<?> commandLine = configurable.getPropertySources().get("commandLineArgs");
		return commandLine != null && commandLine.containsProperty("json");
	}

}
