package dev.prefork.autoconfigure;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;

import dev.prefork.os.ProcFs;
import dev.prefork.status.StatusClient;
import dev.prefork.status.StatusTable;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;

/**
 * {@code java -jar app.jar --prefork.signal=status --prefork.pidfile=/run/app.pid [--json]}:
 * prints the running master's worker table, or with {@code --json} its status document, like
 * {@code gunicornc show workers} or {@code uwsgitop}. It asks the master's management server,
 * found in this command's configuration as the master finds it (so run it with the master's
 * configuration: the same jar, files and {@code management.*} options), with the master's
 * {@code prefork.control.token} or token file when one is set, once it has seen that the
 * pidfile's master itself serves that address and port.
 */
final class PreforkStatusCommand {

	static final String NAME = "status";

	private PreforkStatusCommand() {
	}

	/**
	 * Prints the status of the master {@code pid}, already checked to be this application's.
	 * @return the process exit code: 0 printed, 1 no answer
	 */
	static int run(ConfigurableEnvironment environment, long pid, PrintStream out, PrintStream err) {
		Target target;
		String token;
		try {
			target = target(environment);
			token = ControlToken.of(Binder.get(environment)
				.bind("prefork.control", ControlProperties.class)
				.orElseGet(ControlProperties::new));
		}
		catch (IllegalStateException ex) {
			err.println("prefork.signal=status: " + ex.getMessage());
			return 1;
		}
		catch (PreforkStartupException ex) {
			err.println("prefork.signal=status: " + ex.getMessage() + " " + ex.getAction());
			return 1;
		}
		if (!ProcFs.servesOn(pid, target.address(), target.uri().getPort())) {
			// Whoever serves that port would get the token: a process of another user that took
			// the port while the master was down, or the workers on the master's shared socket.
			err.println("prefork.signal=status: the master (pid " + pid + ") does not serve " + target.uri()
					+ " itself: run this with the master's configuration (management.server.*), as the master's user");
			return 1;
		}
		StatusClient.Answer answer;
		try {
			answer = StatusClient.fetch(target.uri(), token, pid);
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
	 * endpoints' base path as the master applies them, the host resolved once.
	 * @throws IllegalStateException if the master has no management server at a fixed port,
	 * or its address cannot be used
	 */
	static Target target(ConfigurableEnvironment environment) {
		int port = environment.getProperty("management.server.port", Integer.class,
				MasterEnvironment.DEFAULT_MANAGEMENT_PORT);
		if (port < 0) {
			throw new IllegalStateException("the master has no management server (management.server.port=" + port
					+ "); the status needs one (the default, " + MasterEnvironment.DEFAULT_MANAGEMENT_PORT
					+ ", on 127.0.0.1)");
		}
		if (port == 0) {
			throw new IllegalStateException("management.server.port=0 puts the master's endpoints on a random port, "
					+ "which the status cannot find: give the master a fixed management.server.port");
		}
		String host = environment.getProperty("management.server.address", MasterEnvironment.DEFAULT_MANAGEMENT_ADDRESS)
			.trim();
		InetAddress address;
		try {
			address = host.isEmpty() ? InetAddress.getLoopbackAddress() : InetAddress.getByName(host);
		}
		catch (IOException ex) {
			throw new IllegalStateException("management.server.address " + host + " cannot be resolved: " + ex.getMessage());
		}
		if (address.isAnyLocalAddress()) {
			address = InetAddress.getLoopbackAddress();
		}
		Map<String, Object> ssl = MasterEnvironment.managementSsl(environment);
		boolean tls = !ssl.isEmpty() && !"false".equalsIgnoreCase(String.valueOf(ssl.get("server.ssl.enabled")).trim());
		String endpoint = environment.getProperty("management.endpoints.web.path-mapping.prefork", "prefork");
		String path = ("/" + trimSlashes(environment.getProperty("management.server.base-path", "")) + "/"
				+ trimSlashes(environment.getProperty("management.endpoints.web.base-path", "/actuator")) + "/"
				+ trimSlashes(endpoint)).replaceAll("/+", "/");
		String literal = address.getHostAddress();
		// a scoped IPv6 address (fe80::1%eth0) keeps its scope, %-encoded as a URI needs it
		String uriHost = literal.contains(":") ? "[" + literal.replace("%", "%25") + "]" : literal;
		try {
			return new Target(new URI((tls ? "https" : "http") + "://" + uriHost + ":" + port
					+ new URI(null, null, path, null).getRawPath()), address);
		}
		catch (URISyntaxException ex) {
			throw new IllegalStateException("no URL can be made of the management settings: " + ex.getMessage());
		}
	}

	private static String trimSlashes(String path) {
		return path.replaceAll("^/+|/+$", "");
	}

	/** {@code --json} on the command line (a bare {@code --json} is a property named json there). */
	private static boolean json(ConfigurableEnvironment environment) {
		PropertySource<?> commandLine = environment.getPropertySources().get("commandLineArgs");
		Object value = (commandLine != null) ? commandLine.getProperty("json") : null;
		return value != null && (value.toString().isEmpty() || value.toString().equalsIgnoreCase("true"));
	}

	/**
	 * Where to ask.
	 * @param uri the status endpoint, with the host as a literal address
	 * @param address that address, which the master must serve
	 */
	record Target(URI uri, InetAddress address) {
	}

}
