package dev.prefork.autoconfigure;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import dev.prefork.os.JvmCommandLine;
import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.SimpleCommandLinePropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

class MasterSecretSourcesTests {

	@Test
	void everySpellingSpringBindsIsRemovedFromWorkerCommandLines() {
		Map<String, String> bindsTo = new java.util.LinkedHashMap<>();
		bindsTo.put("--prefork.control.token=a", "prefork.control.token");
		bindsTo.put("--prefork.control[token]=b", "prefork.control.token");
		bindsTo.put("--prefork.control.TOKEN=c", "prefork.control.token");
		bindsTo.put("--management.server.ssl.key-store-password=d", "management.server.ssl.key-store-password");
		bindsTo.put("--management.server.ssl.keyStorePassword=e", "management.server.ssl.key-store-password");
		bindsTo.put("--management.server.ssl.trust-store-password=f", "management.server.ssl.trust-store-password");
		List<String> secretArguments = List.copyOf(bindsTo.keySet());
		List<String> kept = List.of("--prefork.control.token-file=/run/token", "--server.ssl.key-store-password=w",
				"--server.port=1", "--management.server.port=9");
		bindsTo.forEach((argument, name) -> assertThat(boundByCommandLine(argument, name))
			.as("Spring binds " + argument + " to " + name).isTrue());
		List<String> args = new java.util.ArrayList<>(secretArguments);
		args.addAll(kept);
		Properties systemProperties = new Properties();
		systemProperties.setProperty("prefork.control.token", "g");
		systemProperties.setProperty("user.dir", "/");
		MasterSecretSources found = MasterSecretSources.of(args.toArray(String[]::new), Map.of(), systemProperties);

		List<String> argv = new java.util.ArrayList<>(List.of("java", "-Dprefork.control.token=g", "-Xmx1g", "-jar",
				"app.jar"));
		argv.addAll(args);
		JvmCommandLine worker = new JvmCommandLine("/usr/bin/java", argv, found.secrets()).withoutMasterSecrets();
		List<String> expected = new java.util.ArrayList<>(List.of("java", "-Xmx1g", "-jar", "app.jar"));
		expected.addAll(kept);
		assertThat(worker.argv()).containsExactlyElementsOf(expected);
		assertThat(found.commandLineTokenKeys()).containsExactlyInAnyOrder("prefork.control.token",
				"prefork.control[token]", "prefork.control.TOKEN");
	}

	@Test
	void everyEnvironmentVariableSpringBindsIsRemovedFromWorkerEnvironments() {
		Map<String, String> given = Map.of("PREFORK_CONTROL_TOKEN", "a", "PREFORK_CONTROL_TOKEN_", "b",
				"prefork.control.token", "c", "MANAGEMENT_SERVER_SSL_KEYSTOREPASSWORD", "d",
				"PREFORK_CONTROL_TOKENFILE", "/run/token", "SERVER_SSL_KEYSTOREPASSWORD", "w", "PATH", "/bin");
		for (String name : List.of("PREFORK_CONTROL_TOKEN", "PREFORK_CONTROL_TOKEN_", "prefork.control.token")) {
			StandardEnvironment environment = new StandardEnvironment();
			environment.getPropertySources()
				.replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, new SystemEnvironmentPropertySource(
						StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, Map.of(name, given.get(name))));
			assertThat(Binder.get(environment).bind("prefork.control.token", String.class).isBound())
				.as("Spring binds " + name).isTrue();
		}
		MasterSecretSources found = MasterSecretSources.of(new String[0], given, new Properties());
		Map<String, String> worker = new HashMap<>(given);
		new JvmCommandLine("java", List.of("java"), found.secrets()).removeMasterSecrets(worker);
		assertThat(worker).containsOnlyKeys("PREFORK_CONTROL_TOKENFILE", "SERVER_SSL_KEYSTOREPASSWORD", "PATH");
		assertThat(found.commandLineTokenKeys()).as("the environment is not the command line").isEmpty();
	}

	@Test
	void aSecretSystemPropertyInTheJvmOptionVariablesIsRemovedFromThem() {
		Map<String, String> given = Map.of("JAVA_TOOL_OPTIONS", "-Xmx1g -Dprefork.control.token=a -Dother=1",
				"JDK_JAVA_OPTIONS", "-Dfoo='a  b'");
		Properties systemProperties = new Properties();
		systemProperties.setProperty("prefork.control.token", "a");
		MasterSecretSources found = MasterSecretSources.of(new String[0], given, systemProperties);
		Map<String, String> worker = new HashMap<>(given);
		new JvmCommandLine("java", List.of("java"), found.secrets()).removeMasterSecrets(worker);
		assertThat(worker).containsEntry("JAVA_TOOL_OPTIONS", "-Xmx1g -Dother=1")
			.as("left as given when it holds no secret").containsEntry("JDK_JAVA_OPTIONS", "-Dfoo='a  b'");
	}

	@Test
	void aSecretInSpringApplicationJsonIsReported() {
		MasterSecretSources inEnvironment = MasterSecretSources.of(new String[0],
				Map.of("SPRING_APPLICATION_JSON", "{\"prefork\":{\"control\":{\"token\":\"x\"}},\"a\":1}"), new Properties());
		assertThat(inEnvironment.jsonSources()).containsExactly("SPRING_APPLICATION_JSON");
		MasterSecretSources onCommandLine = MasterSecretSources.of(
				new String[] { "--spring.application.json={\"management.server.ssl.key-store-password\":\"x\"}" },
				Map.of(), new Properties());
		assertThat(onCommandLine.jsonSources()).containsExactly("--spring.application.json");
		assertThat(MasterSecretSources.of(new String[0], Map.of("SPRING_APPLICATION_JSON", "{\"server\":{\"port\":1}}"),
				new Properties()).jsonSources()).isEmpty();
	}

	private static boolean boundByCommandLine(String argument, String name) {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources().addFirst(new SimpleCommandLinePropertySource(argument));
		return Binder.get(environment).bind(name, String.class).isBound();
	}

}
