package dev.prefork.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

import dev.prefork.hooks.ServerHooks;
import dev.prefork.hooks.WorkerLaunch;
import dev.prefork.master.ExitReason;

import org.springframework.core.env.Environment;

/**
 * Server hooks of the sample app, created in the master's context only (listed in
 * META-INF/spring/dev.prefork.hooks.ServerHooks.imports). With sample.hooks-log set, each
 * hook appends one line to that file; pre-fork gives each worker SAMPLE_HOOKED=slot/generation
 * and -Dsample.hooked=true; sample.hooks-throw=true makes workerReady throw after recording.
 */
public class RecordingHooks implements ServerHooks {

	private final Path log;

	private final boolean fail;

	public RecordingHooks(Environment environment) {
		String file = environment.getProperty("sample.hooks-log", "");
		this.log = file.isEmpty() ? null : Path.of(file);
		this.fail = environment.getProperty("sample.hooks-throw", Boolean.class, false);
	}

	@Override
	public void onStarting(long masterPid, int workers) {
		record("onStarting " + masterPid + " " + workers);
	}

	@Override
	public void whenReady(int workers) {
		record("whenReady " + workers);
	}

	@Override
	public void preFork(WorkerLaunch launch) {
		record("preFork " + launch.slot() + " " + launch.generation());
		if (this.log != null) {
			launch.environment().put("SAMPLE_HOOKED", launch.slot() + "/" + launch.generation());
			launch.jvmOptions().add("-Dsample.hooked=true");
		}
	}

	@Override
	public void workerReady(int slot, long pid, Duration bootTime) {
		record("workerReady " + slot + " " + pid);
		if (this.fail) {
			throw new IllegalStateException("sample.hooks-throw=true: failing on purpose");
		}
	}

	@Override
	public void workerExited(int slot, long pid, ExitReason reason, String status) {
		record("workerExited " + slot + " " + pid + " " + reason + " " + status);
	}

	@Override
	public void workersChanged(int from, int to) {
		record("workersChanged " + from + " " + to);
	}

	@Override
	public void onReload(int generation) {
		record("onReload " + generation);
	}

	@Override
	public void preExec() {
		record("preExec");
	}

	@Override
	public void onExit(int exitCode) {
		record("onExit " + exitCode);
	}

	private void record(String line) {
		if (this.log == null) {
			return;
		}
		try {
			Files.writeString(this.log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}
