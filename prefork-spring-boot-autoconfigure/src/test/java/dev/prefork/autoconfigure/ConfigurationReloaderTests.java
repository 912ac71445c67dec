package dev.prefork.autoconfigure;

import dev.prefork.master.SettingsLoader.InvalidSettingsException;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringApplication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class ConfigurationReloaderTests {

	private static final String[] UNIX_SOCKET = { "--prefork.unix-socket.path=/run/app/app.sock" };

	@Test
	void aReloadToAUnixSocketIsRefusedWhereTheWorkersCannotServeIt() {
		ConfigurationReloader jetty = new ConfigurationReloader(new SpringApplication(Object.class), UNIX_SOCKET,
				new WorkerStack("Jetty"));
		assertThatExceptionOfType(InvalidSettingsException.class).isThrownBy(jetty::load)
			.withMessage("a Unix domain socket (/run/app/app.sock) is served by workers on Tomcat or Reactor Netty "
					+ "only; this application runs on Jetty");
	}

	@Test
	void aReloadToAUnixSocketOnTomcatOrReactorNettyReadsIt() throws InvalidSettingsException {
		for (String stack : new String[] { "Tomcat", "Reactor Netty" }) {
			ConfigurationReloader reloader = new ConfigurationReloader(new SpringApplication(Object.class), UNIX_SOCKET,
					new WorkerStack(stack));
			assertThat(reloader.load().listen()).as(stack).hasToString("unix:/run/app/app.sock");
		}
	}

}
