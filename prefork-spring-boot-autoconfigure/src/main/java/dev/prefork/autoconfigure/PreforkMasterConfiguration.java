package dev.prefork.autoconfigure;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.util.Map;

import dev.prefork.master.Master;
import dev.prefork.logging.LogFiles;
import dev.prefork.master.MasterSettings;
import dev.prefork.master.SettingsLoader;
import dev.prefork.os.ListenSocket;
import dev.prefork.os.NativeWorkerLauncher;
import dev.prefork.os.Pidfile;
import dev.prefork.os.WorkerCommandLine;
import dev.prefork.os.WorkerEnvironment;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The master's beans: validated settings, pidfile, listening socket, the master loop, and
 * what serves it over HTTP.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(PreforkProperties.class)
class PreforkMasterConfiguration {

	@Bean
	MasterSettings preforkMasterSettings(PreforkProperties properties) {
		return properties.toMasterSettings();
	}

	@Bean(destroyMethod = "delete")
	PidfileHolder preforkPidfile(PreforkProperties properties) {
		if (properties.getPidfile() == null) {
			return new PidfileHolder(null);
		}
		try {
			return new PidfileHolder(Pidfile.write(properties.getPidfile().toPath(), ProcessHandle.current().pid()));
		}
		catch (Pidfile.AlreadyRunningException ex) {
			throw new PreforkStartupException(ex.getMessage() + ": another master seems to be running.",
					"Stop that master first (kill -TERM " + ex.pid() + "), or set prefork.pidfile to another file. If pid "
							+ ex.pid() + " is not a prefork master, delete " + ex.path() + ".");
		}
		catch (IOException ex) {
			throw new PreforkStartupException("Cannot write prefork.pidfile " + properties.getPidfile() + ": "
					+ ex.getMessage(), "Make sure the directory exists and is writable by this user.", ex);
		}
	}

	@Bean(destroyMethod = "close")
	ListenSocket preforkListenSocket(Environment environment, PreforkProperties properties, PidfileHolder pidfile) {
		String address = environment.getProperty(MasterEnvironment.LISTEN_ADDRESS, "");
		int port = environment.getProperty(MasterEnvironment.LISTEN_PORT, Integer.class, 8080);
		try {
			return ListenSocket.bind(address.isEmpty() ? null : InetAddress.getByName(address), port,
					properties.getBacklog());
		}
		catch (BindException ex) {
			throw new PreforkStartupException("The master could not bind its listening socket: " + ex.getMessage() + ".",
					"Stop the process that listens on port " + port + " (ss -ltnp 'sport = :" + port
							+ "') or set server.port to a free port.",
					ex);
		}
		catch (IOException ex) {
			throw new PreforkStartupException("The master could not open its listening socket on "
					+ (address.isEmpty() ? "*" : address) + ":" + port + ": " + ex.getMessage() + ".",
					"Check server.address and server.port.", ex);
		}
	}

	@Bean
	Master preforkMaster(MasterSettings settings, ListenSocket socket, SettingsLoader preforkSettingsLoader)
			throws IOException {
		long pid = ProcessHandle.current().pid();
		NativeWorkerLauncher launcher = new NativeWorkerLauncher(socket, WorkerCommandLine.ofCurrentJvm(),
				Map.of(WorkerEnvironment.MASTER_PID, Long.toString(pid)));
		return new Master(settings, launcher, preforkSettingsLoader, LogFiles::reopen,
				() -> System.nanoTime() / 1_000_000, pid);
	}

	@Bean
	PreforkEndpoint preforkEndpoint(Master master) {
		return new PreforkEndpoint(master);
	}

	@Bean
	PreforkHealthIndicator preforkHealthIndicator(Master master) {
		return new PreforkHealthIndicator(master);
	}

	/** The pidfile, if one is configured; a holder because a bean cannot be {@code null}. */
	record PidfileHolder(Pidfile pidfile) {

		void delete() {
			if (this.pidfile != null) {
				this.pidfile.delete();
			}
		}

	}

}
