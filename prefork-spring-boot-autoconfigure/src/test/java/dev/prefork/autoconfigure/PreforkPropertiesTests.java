package dev.prefork.autoconfigure;

import java.time.Duration;

import dev.prefork.master.ListenAddress;
import dev.prefork.master.MasterSettings;
import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class PreforkPropertiesTests {

	private final PreforkProperties properties = new PreforkProperties();

	@Test
	void defaults() {
		MasterSettings settings = this.properties.toMasterSettings("", 8080);
		assertThat(settings.workers()).isEqualTo(2);
		assertThat(settings.timeout()).isEqualTo(Duration.ofSeconds(30));
		assertThat(settings.heartbeatInterval()).isEqualTo(Duration.ofMillis(7500));
		assertThat(settings.gracefulTimeout()).isEqualTo(Duration.ofSeconds(30));
		assertThat(settings.bootTimeout()).isEqualTo(Duration.ofSeconds(120));
	}

	@Test
	void aReloadNamesTheStartOnlyKeysThatChangedAndAppliesMinReadyWorkers() {
		PreforkProperties next = new PreforkProperties();
		next.setPidfile(new java.io.File("/run/app.pid"));
		next.getControl().setToken("secret");
		next.setBacklog(128);
		next.setMinReadyWorkers(2);
		assertThat(ConfigurationReloader.changed(this.properties.startOnly(), next.startOnly()))
			.containsExactly("prefork.pidfile", "prefork.control.token");
		assertThat(next.toMasterSettings("", 8080).minReadyWorkers()).isEqualTo(2);
	}

	@Test
	void rejectsZeroWorkers() {
		this.properties.setWorkers(0);
		assertInvalid("prefork.workers", "must be at least 1");
	}

	@Test
	void rejectsNegativeWorkers() {
		this.properties.setWorkers(-3);
		assertInvalid("prefork.workers", "must be at least 1");
	}

	@Test
	void rejectsZeroTimeout() {
		this.properties.setTimeout(Duration.ZERO);
		assertInvalid("prefork.timeout", "must be a positive duration");
	}

	@Test
	void rejectsNegativeGracefulTimeout() {
		this.properties.setGracefulTimeout(Duration.ofSeconds(-1));
		assertInvalid("prefork.graceful-timeout", "must be a positive duration");
	}

	@Test
	void rejectsZeroBootTimeout() {
		this.properties.setBootTimeout(Duration.ZERO);
		assertInvalid("prefork.boot-timeout", "must be a positive duration");
	}

	@Test
	void rejectsZeroBacklog() {
		this.properties.setBacklog(0);
		assertInvalid("prefork.backlog", "must be at least 1");
	}

	@Test
	void splitsWorkerJvmArgsOnWhitespace() {
		this.properties.getWorker().setJvmArgs("  -Xmx256m   -XX:+UseSerialGC ");
		assertThat(this.properties.getWorker().jvmArgList()).containsExactly("-Xmx256m", "-XX:+UseSerialGC");
		this.properties.getWorker().setJvmArgs("");
		assertThat(this.properties.getWorker().jvmArgList()).isEmpty();
	}

	@Test
	void workerJvmArgsKeepQuotedSpacesAsAShellDoes() {
		this.properties.getWorker()
			.setJvmArgs("-Dgreeting=\"hello world\" '-Dsingle=a \"b\"' -Descaped=a\\ b -Dempty=\"\" -Xss512k");
		assertThat(this.properties.getWorker().jvmArgList()).containsExactly("-Dgreeting=hello world",
				"-Dsingle=a \"b\"", "-Descaped=a b", "-Dempty=", "-Xss512k");
		this.properties.getWorker().setJvmArgs("-Dpath=\"C:\\dir\\\\x\" -Dq=\"a\\\"b\"");
		assertThat(this.properties.getWorker().jvmArgList()).as("in double quotes a backslash escapes only \" and \\")
			.containsExactly("-Dpath=C:\\dir\\x", "-Dq=a\"b");
		this.properties.getWorker().setJvmArgs("-Xss512k ''");
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> this.properties.getWorker().jvmArgList())
			.withMessageContaining("an empty argument");
		this.properties.getWorker().setJvmArgs("-Dgreeting=\"hello");
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> this.properties.getWorker().jvmArgList())
			.satisfies((ex) -> assertThat(ex.getName()).isEqualTo("prefork.worker.jvm-args"))
			.withMessageContaining("a \" quote is not closed");
	}

	@Test
	void maxWorkerLifetimeIsUnsetByDefaultAndBounded() {
		assertThat(this.properties.toMasterSettings("", 8080).maxWorkerLifetime()).as("never").isZero();
		this.properties.setMaxWorkerLifetime(Duration.ofHours(12));
		this.properties.setMaxWorkerLifetimeJitter(Duration.ofMinutes(30));
		MasterSettings settings = this.properties.toMasterSettings("", 8080);
		assertThat(settings.maxWorkerLifetime()).isEqualTo(Duration.ofHours(12));
		assertThat(settings.maxWorkerLifetimeJitter()).isEqualTo(Duration.ofMinutes(30));
		this.properties.setMaxWorkerLifetime(Duration.ofSeconds(-1));
		assertInvalid("prefork.max-worker-lifetime", "must be 0 (never recycle by age) to 3650d");
		this.properties.setMaxWorkerLifetime(Duration.ofDays(3651));
		assertInvalid("prefork.max-worker-lifetime", "must be 0 (never recycle by age) to 3650d");
		this.properties.setMaxWorkerLifetime(Duration.ofHours(1));
		this.properties.setMaxWorkerLifetimeJitter(Duration.ofSeconds(-1));
		assertInvalid("prefork.max-worker-lifetime-jitter", "must be 0 to 3650d");
		this.properties.setMaxWorkerLifetimeJitter(Duration.ofDays(3651));
		assertInvalid("prefork.max-worker-lifetime-jitter", "must be 0 to 3650d");
	}

	@Test
	void aUnixSocketReplacesTheTcpAddressWithItsModeAndGroup() {
		assertThat(this.properties.toMasterSettings("", 8080).listen().isUnix()).isFalse();
		this.properties.getUnixSocket().setPath("/run/app/app.sock");
		ListenAddress listen = this.properties.toMasterSettings("", 8080).listen();
		assertThat(listen.unix()).isEqualTo(new ListenAddress.UnixSocket("/run/app/app.sock", 0660, null));
		assertThat(listen).hasToString("unix:/run/app/app.sock");
		assertThat(listen.sameEndpoint(new ListenAddress("", 8080, 2048))).isFalse();
		this.properties.getUnixSocket().setMode("0666");
		this.properties.getUnixSocket().setGroup("www-data");
		assertThat(this.properties.toMasterSettings("", 8080).listen().unix())
			.isEqualTo(new ListenAddress.UnixSocket("/run/app/app.sock", 0666, "www-data"));
		assertThat(this.properties.toMasterSettings("", 8080).listen().sameEndpoint(listen))
			.as("the mode and group alone do not warrant a new socket").isTrue();
	}

	@Test
	void aUnixSocketsModeIsOctalAndLetsTheOwnerConnect() {
		this.properties.getUnixSocket().setPath("/run/app.sock");
		for (String mode : new String[] { "rw-rw----", "668", "77", "0460" }) {
			this.properties.getUnixSocket().setMode(mode);
			assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class).as(mode)
				.isThrownBy(() -> this.properties.toMasterSettings("", 8080))
				.satisfies((ex) -> assertThat(ex.getName()).isEqualTo("prefork.unix-socket.mode"));
		}
		this.properties.getUnixSocket().setMode("600");
		assertThat(this.properties.toMasterSettings("", 8080).listen().unix().mode()).isEqualTo(0600);
		this.properties.getUnixSocket().setPath("@abstract");
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> this.properties.toMasterSettings("", 8080))
			.withMessageContaining("abstract sockets are not supported");
		this.properties.getUnixSocket().setPath(null);
		this.properties.getUnixSocket().setGroup("www-data");
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> this.properties.toMasterSettings("", 8080))
			.withMessageContaining("is set without prefork.unix-socket.path");
	}

	@Test
	void readyNiceIsZeroToNineteen() {
		this.properties.getWorker().setReadyNice(20);
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> this.properties.toMasterSettings("", 8080))
			.satisfies((ex) -> assertThat(ex.getName()).isEqualTo("prefork.worker.ready-nice"))
			.withMessageContaining("must be 0 (none) to 19");
		this.properties.getWorker().setReadyNice(-1);
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> this.properties.toMasterSettings("", 8080));
		this.properties.getWorker().setReadyNice(19);
		this.properties.toMasterSettings("", 8080);
	}

	@Test
	void aBadWarmupRequestNamesItsPropertyAndValue() {
		dev.prefork.worker.WarmupSettings.Request request = new dev.prefork.worker.WarmupSettings.Request();
		request.setPath("/x");
		request.setMethod("PATCHX");
		this.properties.getWarmup().getRequests().add(request);
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> this.properties.toMasterSettings("", 8080))
			.satisfies((ex) -> assertThat(ex.getName()).isEqualTo("prefork.warmup.requests[0].method"))
			.satisfies((ex) -> assertThat(ex.getValue()).isEqualTo("PATCHX"))
			.withMessageContaining("must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
	}

	@Test
	void gpusComeFromThePropertyOrElseUseGpus() {
		assertThat(this.properties.gpuList(null)).isEmpty();
		assertThat(this.properties.gpuList(" 0, 1 ,2")).containsExactly("0", "1", "2");
		this.properties.setGpus(java.util.List.of("GPU-5f1c", "MIG-1/2"));
		assertThat(this.properties.gpuList("0,1")).as("the property wins").containsExactly("GPU-5f1c", "MIG-1/2");
	}

	@Test
	void rejectsMalformedOrRepeatedGpus() {
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> this.properties.gpuList("0,,1"))
			.satisfies((ex) -> assertThat(ex.getName()).isEqualTo("prefork.gpus (from USE_GPUS)"))
			.satisfies((ex) -> assertThat(ex.getReason()).contains("'' is not a GPU id"));
		this.properties.setGpus(java.util.List.of("0", "1", "0"));
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> this.properties.gpuList(null))
			.satisfies((ex) -> assertThat(ex.getReason()).isEqualTo("lists a GPU twice"));
	}

	private void assertInvalid(String name, String reason) {
		assertThatExceptionOfType(InvalidConfigurationPropertyValueException.class)
			.isThrownBy(() -> this.properties.toMasterSettings("", 8080))
			.satisfies((ex) -> assertThat(ex.getName()).isEqualTo(name))
			.satisfies((ex) -> assertThat(ex.getReason()).contains(reason));
	}

}
