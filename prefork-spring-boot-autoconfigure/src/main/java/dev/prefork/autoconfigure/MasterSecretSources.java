package dev.prefork.autoconfigure;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import dev.prefork.protocol.MasterSecrets;

import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.SimpleCommandLinePropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * Finds where the master's secrets were given, the way Spring Boot binds them: every
 * command-line argument, system property and environment variable that binds to
 * {@code prefork.control.token} or to a {@code management.server.ssl.*} key, in any spelling
 * the relaxed binding accepts ({@code --prefork.control[token]}, {@code PREFORK_CONTROL_TOKEN_},
 * ...). Secrets in configuration files stay where they are (workers read the same files);
 * a secret inside {@code SPRING_APPLICATION_JSON} is found and reported, not removed (the
 * application's own settings are in the same value).
 */
final class MasterSecretSources {

	private static final ConfigurationPropertyName TOKEN = ConfigurationPropertyName.of("prefork.control.token");

	private static final ConfigurationPropertyName MANAGEMENT_SSL = ConfigurationPropertyName.of("management.server.ssl");

	private final Set<String> commandLineTokenKeys = new LinkedHashSet<>();

	private final Set<String> propertyKeys = new LinkedHashSet<>();

	private final Set<String> environmentNames = new LinkedHashSet<>();

	private final Set<String> jsonSources = new LinkedHashSet<>();

	private MasterSecretSources() {
	}

	/** The secrets of this JVM: its arguments, system properties and environment. */
	static MasterSecretSources of(String[] args) {
		return of(args, System.getenv(), System.getProperties());
	}

	static MasterSecretSources of(String[] args, Map<String, String> environment, Properties systemProperties) {
		MasterSecretSources found = new MasterSecretSources();
		for (String key : new SimpleCommandLinePropertySource(args).getPropertyNames()) {
			found.check(key, new MapPropertySource("commandLineArgs", Map.of(key, "")), found.propertyKeys);
		}
		for (String key : systemProperties.stringPropertyNames()) {
			found.check(key, new MapPropertySource(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME,
					Map.of(key, "")), found.propertyKeys);
		}
		for (String name : environment.keySet()) {
			found.check(name, new SystemEnvironmentPropertySource(
					StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of(name, "")), found.environmentNames);
		}
		found.checkJson("SPRING_APPLICATION_JSON", environment.get("SPRING_APPLICATION_JSON"));
		found.checkJson("spring.application.json (a system property)", systemProperties.getProperty("spring.application.json"));
		SimpleCommandLinePropertySource commandLine = new SimpleCommandLinePropertySource(args);
		found.checkJson("--spring.application.json", commandLine.getProperty("spring.application.json"));
		return found;
	}

	/**
	 * Where a secret was given inside {@code SPRING_APPLICATION_JSON} or
	 * {@code spring.application.json}: workers inherit those whole (the application's own
	 * configuration is in them too), so a secret there is only reported.
	 */
	List<String> jsonSources() {
		return List.copyOf(this.jsonSources);
	}

	private void checkJson(String source, String json) {
		if (json == null || json.isBlank()) {
			return;
		}
		try {
			if (hasSecret("", JsonParserFactory.getJsonParser().parseMap(json))) {
				this.jsonSources.add(source);
			}
		}
		catch (RuntimeException ex) {
			// Spring Boot reports JSON it cannot read itself
		}
	}

	private static boolean hasSecret(String prefix, Map<String, Object> json) {
		for (Map.Entry<String, Object> entry : json.entrySet()) {
			String name = prefix + entry.getKey();
			if (entry.getValue() instanceof Map<?, ?> nested) {
				@SuppressWarnings("unchecked")
				Map<String, Object> map = (Map<String, Object>) nested;
				if (hasSecret(name + ".", map)) {
					return true;
				}
			}
			else if (ConfigurationPropertySource.from(new MapPropertySource("json", Map.of(name, "")))
					instanceof IterableConfigurationPropertySource iterable
					&& iterable.stream().anyMatch(MasterSecretSources::isSecret)) {
				return true;
			}
		}
		return false;
	}

	/** Where the secrets were given, for the command lines and environments of workers. */
	MasterSecrets secrets() {
		return new MasterSecrets(this.propertyKeys, this.environmentNames);
	}

	/**
	 * The command-line arguments and system properties that gave {@code prefork.control.token}:
	 * every user of the machine can read them ({@code ps}, {@code /proc/PID/cmdline}).
	 */
	List<String> commandLineTokenKeys() {
		return List.copyOf(this.commandLineTokenKeys);
	}

	/**
	 * Binds one key alone, as Spring Boot binds its source (each key on its own: two
	 * spellings of one property in one source are both found).
	 */
	private void check(String key, PropertySource<?> alone, Set<String> names) {
		if (ConfigurationPropertySource.from(alone) instanceof IterableConfigurationPropertySource iterable
				&& iterable.stream().anyMatch(MasterSecretSources::isSecret)) {
			names.add(key);
			if (names == this.propertyKeys && iterable.stream().anyMatch(TOKEN::equals)) {
				this.commandLineTokenKeys.add(key);
			}
		}
	}

	private static boolean isSecret(ConfigurationPropertyName name) {
		return TOKEN.equals(name) || MANAGEMENT_SSL.isAncestorOf(name);
	}

}
