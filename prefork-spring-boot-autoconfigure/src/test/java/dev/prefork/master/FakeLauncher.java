package dev.prefork.master;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

/**
 * Records launches and the signals sent to each fake process; tests play the workers'
 * side by submitting their commands to the master.
 */
final class FakeLauncher implements WorkerLauncher {

	final List<FakeProcess> launched = new ArrayList<>();

	boolean failNext;

	/** The addresses passed to each {@link #retainListeners} call. */
	final List<List<ListenAddress>> retained = new ArrayList<>();

	private int nextPid = 1000;

	@Override
	public ChildProcess launch(WorkerSpec spec, Consumer<Command> events) throws IOException {
		if (this.failNext) {
			this.failNext = false;
			throw new IOException("posix_spawn: Resource temporarily unavailable");
		}
		FakeProcess process = new FakeProcess(spec, this.nextPid++);
		this.launched.add(process);
		return process;
	}

	@Override
	public void retainListeners(Collection<ListenAddress> inUse) {
		this.retained.add(List.copyOf(inUse));
	}

	FakeProcess last() {
		return this.launched.get(this.launched.size() - 1);
	}

	static final class FakeProcess implements ChildProcess {

		final WorkerSpec spec;

		final int pid;

		final List<Signal> signals = new ArrayList<>();

		int loweredBy;

		FakeProcess(WorkerSpec spec, int pid) {
			this.spec = spec;
			this.pid = pid;
		}

		@Override
		public long pid() {
			return this.pid;
		}

		@Override
		public void signal(Signal signal) {
			this.signals.add(signal);
		}

		@Override
		public void lowerPriority(int increment) {
			this.loweredBy = increment;
		}

	}

}
