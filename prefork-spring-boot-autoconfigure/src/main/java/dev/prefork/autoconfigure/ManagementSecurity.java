package dev.prefork.autoconfigure;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Set;

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

	private ManagementSecurity() {
	}

	static void check(Environment environment, WebEndpointProperties web, PreforkProperties properties) {
		String address = environment.getProperty(MasterEnvironment.PROMOTED_MANAGEMENT_ADDRESS,
				environment.getProperty("server.address", MasterEnvironment.DEFAULT_MANAGEMENT_ADDRESS));
		int port = environment.getProperty("management.server.port", Integer.class, MasterEnvironment.DEFAULT_MANAGEMENT_PORT);
		boolean tokenSet = properties.getControl().getToken() != null && !properties.getControl().getToken().isBlank();
		if (port < 0 || tokenSet || isLoopback(address) || !writable(environment, web)) {
			return;
		}
		throw new PreforkStartupException("The master's management server listens on " + address + ", which is not a "
				+ "loopback address, and POST /actuator/prefork/* (reload, scale, stop, upgrade) would be open to anyone "
				+ "who can reach it.",
				"Set prefork.control.token to a secret that clients send as 'Authorization: Bearer <secret>', or set "
						+ "management.server.address=127.0.0.1, or make the endpoint read-only with "
						+ "management.endpoint.prefork.access=read-only.");
	}

	private static boolean isLoopback(String address) {
		try {
			return InetAddress.getByName(address).isLoopbackAddress();
		}
		catch (UnknownHostException ex) {
			return false;
		}
	}

	private static boolean writable(Environment environment, WebEndpointProperties web) {
		Set<String> include = web.getExposure().getInclude();
		boolean exposed = (include.contains("*") || include.contains("prefork"))
				&& !web.getExposure().getExclude().contains("prefork")
				&& !web.getExposure().getExclude().contains("*");
		Access access = new PropertiesEndpointAccessResolver(environment).accessFor(EndpointId.of("prefork"),
				Access.UNRESTRICTED);
		return exposed && access == Access.UNRESTRICTED;
	}

}
