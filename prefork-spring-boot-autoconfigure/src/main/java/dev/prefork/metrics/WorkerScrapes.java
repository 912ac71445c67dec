package dev.prefork.metrics;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.prefork.master.MasterStatus;
import dev.prefork.master.WorkerState;

/**
 * Fetches every ready worker's own Prometheus text over its channel, all at once, each
 * bounded by a timeout: a hung or dead worker only costs the scrape that timeout, is counted
 * in {@code prefork.scrape.errors} and shows {@code prefork.worker.up 0}.
 */
public final class WorkerScrapes {

	private final Supplier<MasterStatus> status;

	private final Function<Long, CompletableFuture<byte[]>> scrape;

	private final MasterMetrics metrics;

	private final Duration timeout;

	private final Object meters = new Object();

	/**
	 * @param status the master's status
	 * @param scrape asks the worker with a pid for its text
	 * @param metrics the master's meters, refreshed on every collection
	 * @param timeout how long to wait for the slowest worker
	 */
	public WorkerScrapes(Supplier<MasterStatus> status, Function<Long, CompletableFuture<byte[]>> scrape,
			MasterMetrics metrics, Duration timeout) {
		this.status = status;
		this.scrape = scrape;
		this.metrics = metrics;
		this.timeout = timeout;
	}

	/**
	 * Counts the lines of a worker's text left out of the scrape; see {@link PrometheusText}.
	 * @param slot the worker's slot
	 * @param lines how many
	 */
	public void dropped(int slot, int lines) {
		this.metrics.scrapeDropped(slot, lines);
	}

	/** Counts a scrape refused because as many as the master runs at once were running. */
	public void refused() {
		this.metrics.scrapeRefused();
	}

	/**
	 * Collects the workers' texts, all scrapes at once, then, one scrape at a time, refreshes
	 * the master's per-slot meters and renders: meters re-registered by one scrape while
	 * another reads the registry make it fail (duplicate labels).
	 * @param render what to make of the text of each scraped slot, with the meters current
	 * @return what {@code render} made
	 */
	public <T> T collect(Function<Map<Integer, String>, T> render) {
		Map<Integer, MasterStatus.WorkerStatus> shown = MasterMetrics.workersBySlot(this.status.get());
		Map<Integer, CompletableFuture<byte[]>> pending = new LinkedHashMap<>();
		shown.forEach((slot, worker) -> {
			if (worker.state() == WorkerState.READY) {
				pending.put(slot, this.scrape.apply(worker.pid()));
			}
		});
		Map<Integer, String> texts = new LinkedHashMap<>();
		Set<Integer> scraped = new HashSet<>();
		// Waited for here, not with orTimeout: its JDK-wide timer thread outlives the
		// master's context and Spring warns of it at every stop.
		long deadline = System.nanoTime() + this.timeout.toNanos();
		pending.forEach((slot, text) -> {
			try {
				texts.put(slot, new String(text.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS),
						StandardCharsets.UTF_8));
				scraped.add(slot);
			}
			catch (ExecutionException | TimeoutException ex) {
				text.cancel(false);
				this.metrics.scrapeError(slot);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		});
		synchronized (this.meters) {
			this.metrics.refresh(shown, scraped);
			return render.apply(texts);
		}
	}

}
