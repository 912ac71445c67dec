package dev.prefork.autoconfigure;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * The host names the master's management server answers to, against DNS rebinding: a page
 * of {@code evil.example} whose name the attacker then resolves to 127.0.0.1 reaches the
 * master from a victim's browser as its own origin, and its requests say
 * {@code Host: evil.example:8081}. A {@code Host} must therefore be an IP address (no page
 * can rebind one), {@code localhost}, the management address, or a name of
 * {@code prefork.control.allowed-hosts} ({@code .example.com} for the domain and every
 * subdomain). A request without {@code Host} (HTTP/1.0, which no browser sends) passes.
 */
final class AllowedHosts {

	static final String PROPERTY = "prefork.control.allowed-hosts";

	private static final Pattern IPV4 = Pattern
		.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

	private static final Pattern NAME = Pattern.compile("\\.?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*");

	/** Lower-case names without a trailing dot; an entry starting with a dot is a domain. */
	private final Set<String> names;

	private AllowedHosts(Set<String> names) {
		this.names = names;
	}

	/**
	 * @param managementAddress the management server's address (a name, an address, or empty
	 * for every address)
	 * @param configured the entries of {@code prefork.control.allowed-hosts}
	 * @throws InvalidConfigurationPropertyValueException for an entry that is no host name
	 */
	static AllowedHosts of(String managementAddress, List<String> configured) {
		return of(managementAddress, null, configured);
	}

	/**
	 * @param hostname this machine's host name (a rebound page cannot make the browser
	 * resolve it), or {@code null}
	 */
	static AllowedHosts of(String managementAddress, String hostname, List<String> configured) {
		Set<String> names = new LinkedHashSet<>();
		names.add("localhost");
		if (hostname != null && NAME.matcher(normalized(hostname)).matches()) {
			names.add(normalized(hostname));
		}
		if (managementAddress != null && !managementAddress.isBlank()) {
			names.add(normalized(managementAddress.trim()));
		}
		for (String entry : configured) {
			if (entry.isBlank()) {
				continue;
			}
			String name = normalized(entry.trim());
			if (!NAME.matcher(name).matches() && !isAddress(name)) {
				throw new InvalidConfigurationPropertyValueException(PROPERTY, entry,
						"must list host names such as admin.example.com, or .example.com for the domain and its "
								+ "subdomains, without scheme, port or path");
			}
			names.add(name);
		}
		return new AllowedHosts(names);
	}

	/**
	 * Why a request's {@code Host} names no host of this master, or {@code null} if it does.
	 * @param host the {@code Host} header, or {@code null}
	 */
	String hostProblem(String host) {
		if (host == null) {
			return null;
		}
		String name = hostName(host);
		if (name != null && isAllowed(name)) {
			return null;
		}
		return "Host " + host + " is not a name of this master's management server: it answers to IP addresses, "
				+ String.join(", ", this.names.stream().filter((each) -> !isAddress(each)).toList())
				+ ". A page whose name was made to resolve here (DNS rebinding) sends its own name; if this is a name "
				+ "of yours, add it to " + PROPERTY;
	}

	/**
	 * Why a browser's {@code Origin} is not the master's own, or {@code null} if it is: the
	 * same host and port as the request's {@code Host}, and a host the master answers to.
	 * The scheme is not compared: a TLS proxy in front of the master serves {@code https}
	 * pages of a plain master.
	 * @param origin the {@code Origin} header
	 * @param host the {@code Host} header, or {@code null}
	 */
	String originProblem(String origin, String host) {
		String foreign = "a browser page of another origin (" + origin + ") may not send commands to "
				+ ((host != null) ? host : "this master");
		URI uri;
		try {
			uri = new URI(origin);
		}
		catch (URISyntaxException ex) {
			return foreign;
		}
		String scheme = (uri.getScheme() != null) ? uri.getScheme().toLowerCase(Locale.ROOT) : "";
		if (host == null || uri.getHost() == null || !(scheme.equals("http") || scheme.equals("https"))) {
			return foreign;
		}
		int defaultPort = scheme.equals("https") ? 443 : 80;
		int originPort = (uri.getPort() != -1) ? uri.getPort() : defaultPort;
		String originName = normalized(uri.getHost());
		String hostName = hostName(host);
		int hostPort = hostPort(host, defaultPort);
		boolean same = originName.equals(hostName) && originPort == hostPort;
		return (same && isAllowed(originName)) ? null : foreign;
	}

	private boolean isAllowed(String name) {
		if (this.names.contains(name) || isAddress(name)) {
			return true;
		}
		for (String each : this.names) {
			if (each.startsWith(".") && (name.endsWith(each) || name.equals(each.substring(1)))) {
				return true;
			}
		}
		return false;
	}

	/** The lower-case name or address of a {@code Host} value, without port; {@code null} if malformed. */
	private static String hostName(String host) {
		String value = host.trim();
		if (value.startsWith("[")) {
			int end = value.indexOf(']');
			return (end > 0) ? normalized(value.substring(0, end + 1)) : null;
		}
		int colon = value.indexOf(':');
		return normalized((colon >= 0) ? value.substring(0, colon) : value);
	}

	private static int hostPort(String host, int defaultPort) {
		String value = host.trim();
		int colon = value.lastIndexOf(':');
		if (colon < 0 || value.lastIndexOf(']') > colon) {
			return defaultPort;
		}
		try {
			return Integer.parseInt(value.substring(colon + 1));
		}
		catch (NumberFormatException ex) {
			return -1;
		}
	}

	/** Lower case, without a trailing dot (an absolute name); IPv6 addresses in brackets. */
	private static String normalized(String name) {
		String lower = name.toLowerCase(Locale.ROOT);
		if (lower.endsWith(".") && lower.length() > 1) {
			lower = lower.substring(0, lower.length() - 1);
		}
		if (lower.contains(":") && !lower.startsWith("[")) {
			lower = "[" + lower + "]";
		}
		return lower;
	}

	/** An IPv4 address in dotted decimal (browsers send no other form), or an IPv6 address in brackets. */
	private static boolean isAddress(String name) {
		if (IPV4.matcher(name).matches()) {
			return true;
		}
		if (!name.startsWith("[") || !name.endsWith("]")) {
			return false;
		}
		try {
			// a literal in brackets is parsed, never looked up
			return InetAddress.getByName(name) instanceof Inet6Address;
		}
		catch (UnknownHostException ex) {
			return false;
		}
	}

}
