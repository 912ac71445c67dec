package dev.prefork.worker;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import dev.prefork.protocol.ChannelProtocol;

/**
 * One tick of the worker's heartbeat: a probe run where requests run, which sends the
 * heartbeat (with the paths served since the last one) once it gets its turn. One probe at a
 * time: a hung pool must not fill up with them.
 *
 * <p>
 * With virtual threads the probe waits in the virtual-thread scheduler's queue for tasks
 * submitted from outside it, which the JDK's scheduler may serve late while its carriers are
 * busy with virtual threads that wake each other (seen on JDK 25 under load: a worker that
 * served all along missed its heartbeats for 30 s and was killed). There, requests that
 * finished since the last heartbeat prove the worker serves: the tick sends the heartbeat
 * itself. A worker whose carriers are all stuck finishes no request and sends none.
 */
final class Heartbeat implements Runnable {

	private final Executor requestThreads;

	private final boolean progressCounts;

	private final WorkerRequestStats stats;

	/** Null when paths are not recorded. */
	private final ServedPaths paths;

	private final Consumer<String> channel;

	private final AtomicBoolean probePending = new AtomicBoolean();

	/** Requests served when the last heartbeat was sent (when the heartbeat started, before the first). */
	private long servedAtLastBeat;

	/**
	 * @param requestThreads where requests run
	 * @param progressCounts whether finished requests prove the worker serves while the probe
	 * waits (requests on virtual threads)
	 * @param stats the worker's request counts
	 * @param paths the recorded paths, or null
	 * @param channel sends a line to the master
	 */
	Heartbeat(Executor requestThreads, boolean progressCounts, WorkerRequestStats stats, ServedPaths paths,
			Consumer<String> channel) {
		this.requestThreads = requestThreads;
		this.progressCounts = progressCounts;
		this.stats = stats;
		this.paths = paths;
		this.channel = channel;
		this.servedAtLastBeat = stats.served();
	}

	@Override
	public void run() {
		if (!this.probePending.compareAndSet(false, true)) {
			if (this.progressCounts && this.stats.served() > lastBeat()) {
				beat();
			}
			return;
		}
		try {
			this.requestThreads.execute(() -> {
				this.probePending.set(false);
				beat();
			});
		}
		catch (RejectedExecutionException ex) {
			this.probePending.set(false);
		}
	}

	private synchronized long lastBeat() {
		return this.servedAtLastBeat;
	}

	private synchronized void beat() {
		// Paths before the count: a request is counted served before its path is recorded, so
		// the heartbeat covers every request of the report that follows it (the master checks).
		List<Map.Entry<String, Long>> top = (this.paths != null) ? this.paths.drain() : List.of();
		this.servedAtLastBeat = this.stats.served();
		this.channel.accept(ChannelProtocol.heartbeat(this.servedAtLastBeat, this.stats.inflight()));
		if (!top.isEmpty()) {
			StringBuilder line = new StringBuilder(ChannelProtocol.PATHS);
			top.forEach((entry) -> line.append(' ').append(entry.getValue()).append(' ').append(entry.getKey()));
			this.channel.accept(line.toString());
		}
	}

}
