package dev.prefork.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.web.server.PortInUseException;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

/**
 * In the master, a port in use is its management port, not the application's: Spring Boot's
 * own report would tell the user to change {@code server.port}, which the workers serve.
 */
class ManagementPortInUseFailureAnalyzer extends AbstractFailureAnalyzer<PortInUseException> implements Ordered {

	private final Environment environment;

	ManagementPortInUseFailureAnalyzer(Environment environment) {
		this.environment = environment;
	}

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, PortInUseException cause) {
		if (!this.environment.containsProperty(MasterEnvironment.LISTEN_PORT)) {
			return null; // not the master: Spring Boot's own report is right
		}
		int port = cause.getPort();
		return new FailureAnalysis("The prefork master could not serve its management endpoints: port " + port
				+ " (management.server.port" + ((port == MasterEnvironment.DEFAULT_MANAGEMENT_PORT) ? ", 8081 unless set"
						: "") + ") is already in use. The application's own port (server.port, "
				+ this.environment.getProperty(MasterEnvironment.LISTEN_PORT) + ") is the workers'.",
				"Stop the process that listens on port " + port + " (ss -ltnp 'sport = :" + port + "'), or move the "
						+ "master's endpoints with --management.server.port=<a free port> (or -1 for none).",
				cause);
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
