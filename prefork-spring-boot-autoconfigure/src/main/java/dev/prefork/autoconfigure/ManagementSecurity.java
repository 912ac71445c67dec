package dev.prefork.autoconfigure;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Set;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.actuate.autoconfigure.endpoint.PropertiesEndpointAccessResolver;
import org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointProperties;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.core.env.Environment;

/**
 * Refuses to start a master whose control commands anyone on the network could send: the
 * management server on a non-loopback address, the prefork endpoint exposed with write
 * access, and no {@code prefork.control.token}.
 */
final class ManagementSecurity {

	private static final Log logger = LogFactory.getLog(ManagementSecurity.class);

	private ManagementSecurity() {
	}

	static void check(Environment environment, WebEndpointProperties web, boolean tokenSet) {
		String address = managementAddress(environment);
		int port = environment.getProperty("management.server.port", Integer.class, MasterEnvironment.DEFAULT_MANAGEMENT_PORT);
		if (port < 0 || isLoopback(address)) {
			return;
		}
		if (tokenSet) {
			// management.server.ssl.* is the master's server.ssl.* (MasterEnvironment)
			if (!environment.getProperty("server.ssl.enabled", Boolean.class, false)
					&& environment.getProperty("server.ssl.bundle") == null) {
				logger.warn("The master's management server listens on " + describe(address) + " without TLS: the bearer "
						+ "token of prefork.control.token travels in clear text. Set management.server.ssl.* (as "
						+ "server.ssl.*), or keep the management server on loopback behind a TLS proxy.");
			}
			return;
		}
		if (exposed(environment, web, Access.READ_ONLY)) {
			logger.warn("GET /actuator/prefork on " + describe(address) + " shows worker pids, memory and GPUs to anyone who "
					+ "can reach it; set prefork.control.token to require the token for it");
		}
		if (!exposed(environment, web, Access.UNRESTRICTED)) {
			return;
		}
		throw new PreforkStartupException("The master's management server listens on " + describe(address) + ", which is not a "
				+ "loopback address, and POST /actuator/prefork/* (reload, scale, stop, upgrade) would be open to anyone "
				+ "who can reach it.",
				"Set prefork.control.token to a secret that clients send as 'Authorization: Bearer <secret>', or set "
						+ "management.server.address=127.0.0.1, or make the endpoint read-only with "
						+ "management.endpoint.prefork.access=read-only.");
	}

	/**
	 * With workers running as another user ({@code prefork.user}), the commands need the
	 * token even on loopback: a worker is a local process, and must not stop, scale or
	 * upgrade its root master.
	 */
	static void checkWorkersCannotCommand(Environment environment, WebEndpointProperties web, boolean tokenSet,
			String workerUser) {
		int port = environment.getProperty("management.server.port", Integer.class, MasterEnvironment.DEFAULT_MANAGEMENT_PORT);
		if (workerUser == null || workerUser.isBlank() || tokenSet || port < 0
				|| !exposed(environment, web, Access.UNRESTRICTED)) {
			return;
		}
		throw new PreforkStartupException("prefork.user=" + workerUser + " runs the workers as another user, but POST "
				+ "/actuator/prefork/* (reload, scale, stop, upgrade) takes commands from any local process without a "
				+ "token, the workers included.",
				"Set a control token the workers do not get: prefork.control.token-file (a file only the master's user "
						+ "can read) or the PREFORK_CONTROL_TOKEN environment variable; or make the endpoint read-only with "
						+ "management.endpoint.prefork.access=read-only, or set management.server.port=-1.");
	}

	/**
	 * The management address as configured: the master's {@code server.address} (see
	 * {@link MasterEnvironment}), or, in the new master of an upgrade, the address it serves
	 * once promoted.
	 */
	static String managementAddress(Environment environment) {
		return environment.getProperty(MasterEnvironment.PROMOTED_MANAGEMENT_ADDRESS,
				environment.getProperty("server.address", MasterEnvironment.DEFAULT_MANAGEMENT_ADDRESS));
	}

	/** An empty address binds every address, as 0.0.0.0 does. */
	private static boolean isLoopback(String address) {
		if (address == null || address.isBlank()) {
			return false;
		}
		try {
			return InetAddress.getByName(address.trim()).isLoopbackAddress();
		}
		catch (UnknownHostException ex) {
			return false;
		}
	}

	private static String describe(String address) {
		return (address == null || address.isBlank()) ? "every address (management.server.address is empty)" : address;
	}

	/**
	 * Whether the prefork endpoint is exposed over HTTP with at least the given access.
	 * Endpoint ids are compared as Actuator compares them ({@code preFork} is {@code prefork}).
	 */
	private static boolean exposed(Environment environment, WebEndpointProperties web, Access least) {
		EndpointId prefork = EndpointId.of("prefork");
		boolean exposed = matches(web.getExposure().getInclude(), prefork)
				&& !matches(web.getExposure().getExclude(), prefork);
		Access access = new PropertiesEndpointAccessResolver(environment).accessFor(prefork, Access.UNRESTRICTED);
		return exposed && access.ordinal() >= least.ordinal();
	}

	private static boolean matches(Set<String> ids, EndpointId id) {
		return ids.stream().map(String::trim).anyMatch((each) -> each.equals("*") || EndpointId.fromPropertyValue(each).equals(id));
	}

}
