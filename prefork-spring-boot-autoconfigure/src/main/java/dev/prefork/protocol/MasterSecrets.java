package dev.prefork.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where the master's secrets were given, so that no worker or training run inherits them:
 * the property keys exactly as written on the command line ({@code --key=value} or
 * {@code -Dkey=value}) and the names of environment variables. Anyone on the machine can
 * read a process's command line; a worker runs the application's code, which needs neither
 * the control token nor the management server's key store passwords.
 *
 * @param propertyKeys keys of command-line arguments and system properties, as written
 * @param environmentNames names of environment variables
 */
public record MasterSecrets(Set<String> propertyKeys, Set<String> environmentNames) {

	/** The environment variables a JVM takes options from. */
	private static final List<String> JVM_OPTION_VARIABLES = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS",
			"_JAVA_OPTIONS");

	/** No secret anywhere: for a command line that is only read, never passed on. */
	public static final MasterSecrets NONE = new MasterSecrets(Set.of(), Set.of());

	public MasterSecrets {
		propertyKeys = Set.copyOf(propertyKeys);
		environmentNames = Set.copyOf(environmentNames);
	}

	/**
	 * The arguments without those that set a secret: {@code --key=value}, {@code --key},
	 * {@code -Dkey=value} and {@code -Dkey} for every secret key.
	 * @param argv the arguments
	 * @return the arguments that are kept, in order
	 */
	public List<String> removeFrom(List<String> argv) {
		List<String> kept = new ArrayList<>(argv.size());
		for (String argument : argv) {
			if (!isSecretArgument(argument)) {
				kept.add(argument);
			}
		}
		return kept;
	}

	/**
	 * Removes the secret variables from an environment, and the secret {@code -Dkey=value}
	 * options from the variables the JVM reads its options from ({@code JAVA_TOOL_OPTIONS},
	 * {@code JDK_JAVA_OPTIONS}, {@code _JAVA_OPTIONS}), which a worker's JVM would read too.
	 */
	public void removeFrom(Map<String, String> environment) {
		environment.keySet().removeAll(this.environmentNames);
		for (String variable : JVM_OPTION_VARIABLES) {
			String options = environment.get(variable);
			if (options != null) {
				List<String> given = List.of(options.trim().split("\\s+"));
				List<String> kept = removeFrom(given);
				if (kept.size() < given.size()) {
					environment.put(variable, String.join(" ", kept));
				}
			}
		}
	}

	private boolean isSecretArgument(String argument) {
		String name = argument.startsWith("--") ? argument.substring(2)
				: argument.startsWith("-D") ? argument.substring(2) : null;
		if (name == null) {
			return false;
		}
		int equals = name.indexOf('=');
		return this.propertyKeys.contains((equals >= 0) ? name.substring(0, equals) : name);
	}

}
