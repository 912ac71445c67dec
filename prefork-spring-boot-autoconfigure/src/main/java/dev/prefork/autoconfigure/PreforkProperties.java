package dev.prefork.autoconfigure;

import java.io.File;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import dev.prefork.master.MasterSettings;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration of the pre-fork master and its workers.
 */
@ConfigurationProperties("prefork")
public class PreforkProperties {

	/**
	 * Whether to run the application under a pre-fork master.
	 */
	private boolean enabled = true;

	/**
	 * Number of worker processes.
	 */
	private int workers = 2;

	/**
	 * Time a ready worker may go without a heartbeat before it is killed (after a thread
	 * dump) and replaced. A heartbeat is a task run on the worker's request thread pool.
	 */
	private Duration timeout = Duration.ofSeconds(30);

	/**
	 * Time workers get to finish in-flight requests on a graceful stop before they are
	 * killed.
	 */
	private Duration gracefulTimeout = Duration.ofSeconds(30);

	/**
	 * Time a new worker may take to become ready before it is killed.
	 */
	private Duration bootTimeout = Duration.ofSeconds(120);

	/**
	 * Length of the listening socket's accept queue (capped by net.core.somaxconn).
	 */
	private int backlog = 2048;

	/**
	 * File to write the master's pid to. Not written when unset.
	 */
	private File pidfile;

	private final Worker worker = new Worker();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public int getWorkers() {
		return this.workers;
	}

	public void setWorkers(int workers) {
		this.workers = workers;
	}

	public Duration getTimeout() {
		return this.timeout;
	}

	public void setTimeout(Duration timeout) {
		this.timeout = timeout;
	}

	public Duration getGracefulTimeout() {
		return this.gracefulTimeout;
	}

	public void setGracefulTimeout(Duration gracefulTimeout) {
		this.gracefulTimeout = gracefulTimeout;
	}

	public Duration getBootTimeout() {
		return this.bootTimeout;
	}

	public void setBootTimeout(Duration bootTimeout) {
		this.bootTimeout = bootTimeout;
	}

	public int getBacklog() {
		return this.backlog;
	}

	public void setBacklog(int backlog) {
		this.backlog = backlog;
	}

	public File getPidfile() {
		return this.pidfile;
	}

	public void setPidfile(File pidfile) {
		this.pidfile = pidfile;
	}

	public Worker getWorker() {
		return this.worker;
	}

	/**
	 * Checks every value and turns them into the master's settings.
	 * @return the settings
	 * @throws InvalidConfigurationPropertyValueException naming the first bad property
	 */
	MasterSettings toMasterSettings() {
		if (this.workers < 1) {
			throw invalid("workers", this.workers, "must be at least 1");
		}
		requirePositive("timeout", this.timeout);
		requirePositive("graceful-timeout", this.gracefulTimeout);
		requirePositive("boot-timeout", this.bootTimeout);
		if (this.backlog < 1) {
			throw invalid("backlog", this.backlog, "must be at least 1");
		}
		return new MasterSettings(this.workers, this.timeout, this.gracefulTimeout, this.bootTimeout);
	}

	private static void requirePositive(String name, Duration value) {
		if (value == null || value.isNegative() || value.isZero()) {
			throw invalid(name, value, "must be a positive duration, such as 30s");
		}
	}

	private static InvalidConfigurationPropertyValueException invalid(String name, Object value, String reason) {
		return new InvalidConfigurationPropertyValueException("prefork." + name, value, reason);
	}

	/**
	 * Worker settings.
	 */
	public static class Worker {

		/**
		 * Extra JVM options for workers only, separated by spaces, such as "-Xmx512m
		 * -XX:+UseSerialGC". Workers otherwise get exactly the master's JVM options.
		 */
		private String jvmArgs = "";

		public String getJvmArgs() {
			return this.jvmArgs;
		}

		public void setJvmArgs(String jvmArgs) {
			this.jvmArgs = jvmArgs;
		}

		List<String> jvmArgList() {
			String trimmed = (this.jvmArgs != null) ? this.jvmArgs.trim() : "";
			return trimmed.isEmpty() ? List.of() : Arrays.asList(trimmed.split("\\s+"));
		}

	}

}
