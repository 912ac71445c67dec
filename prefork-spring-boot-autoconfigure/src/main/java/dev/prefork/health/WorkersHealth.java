package dev.prefork.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import dev.prefork.master.MasterStatus;
import dev.prefork.master.WorkerState;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributors;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.health.registry.HealthContributorRegistry;

/**
 * The application's own health components on the master's health endpoint. Each name a ready
 * worker reports ({@link ApplicationHealth}) becomes a component of the master's health under
 * the same name, so that {@code /actuator/health/db} and a group such as
 * {@code management.endpoint.health.group.readiness.include=readinessState,db} work as in a
 * plain application. A component is UP while at least {@code min-ready-workers} ready workers
 * report it UP, DOWN otherwise; each worker's own status (and, when the user shows details, the
 * component's details) is in its details. At most {@link #MAX_COMPONENTS} names, each a word
 * ({@code [A-Za-z0-9_.-]}). Names the master has itself ({@code ping}, {@code livenessState},
 * {@code readinessState}, {@code prefork}) stay the master's; the workers' {@code diskSpace} and
 * {@code ssl}, which the master has not, are shown as theirs.
 *
 * <p>
 * Workers are asked all at once, each for at most the timeout, and their answers serve every
 * component for {@link #MAX_AGE}: one health request asks each worker once.
 */
public final class WorkersHealth {

	private static final Log logger = LogFactory.getLog(WorkersHealth.class);

	/** How long one round of answers serves: the components of one health request, and probes close together. */
	static final Duration MAX_AGE = Duration.ofSeconds(1);

	/** A worker's answer larger than this is refused: a worker is the user's code. */
	static final int MAX_ANSWER_BYTES = 1024 * 1024;

	/** The most components of a worker, and of all workers, the master shows. */
	static final int MAX_COMPONENTS = 64;

	/**
	 * A component's name as a worker may report it: Spring Boot's own are words; a {@code /}
	 * would make it a member of any group that names its first part ({@code livenessState/x}).
	 */
	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

	private final Supplier<MasterStatus> status;

	private final Function<Long, CompletableFuture<byte[]>> ask;

	private final HealthContributorRegistry registry;

	private final Duration timeout;

	private final Duration maxAge;

	private final boolean applicationDetails;

	private final JsonMapper mapper = new JsonMapper();

	/** The master's own components, which workers' components of the same name do not replace. */
	private final Set<String> masters;

	private final Set<String> registered = new HashSet<>();

	/** Names that could not be shown, each said once. */
	private final Set<String> refused = new HashSet<>();

	private final Object rounds = new Object();

	private Round last;

	/**
	 * @param status the master's status
	 * @param ask asks the worker with a pid for its health document
	 * @param registry the master's health contributors
	 * @param timeout how long to wait for the slowest worker
	 * @param applicationDetails whether each worker's entry shows its component's details (a
	 * database URL, an error message) as well as its status
	 */
	public WorkersHealth(Supplier<MasterStatus> status, Function<Long, CompletableFuture<byte[]>> ask,
			HealthContributorRegistry registry, Duration timeout, boolean applicationDetails) {
		this(status, ask, registry, timeout, applicationDetails, MAX_AGE);
	}

	WorkersHealth(Supplier<MasterStatus> status, Function<Long, CompletableFuture<byte[]>> ask,
			HealthContributorRegistry registry, Duration timeout, boolean applicationDetails, Duration maxAge) {
		this.applicationDetails = applicationDetails;
		this.maxAge = maxAge;
		this.status = status;
		this.ask = ask;
		this.registry = registry;
		this.timeout = timeout;
		this.masters = new HashSet<>(registry.stream().map(HealthContributors.Entry::name).toList());
	}

	/**
	 * A worker became ready: learn its components' names now, so that the next health request
	 * shows them. Returns at once; the answer is handled when it comes.
	 */
	public void workerReady(long pid) {
		this.ask.apply(pid).thenAccept((answer) -> {
			WorkerAnswer parsed = parse(-1, pid, answer);
			if (parsed.error() == null) {
				register(List.of(parsed), false);
			}
		});
	}

	/**
	 * The answers of the ready workers, at most {@link #MAX_AGE} old. One round at a time; the
	 * registration it ends with takes another lock, which a worker's channel thread (the one
	 * that delivers its answer) may hold briefly: never wait for an answer holding that one.
	 */
	Round round() {
		synchronized (this.rounds) {
			return (this.last != null && System.nanoTime() - this.last.takenAt() < this.maxAge.toNanos()) ? this.last
					: (this.last = newRound());
		}
	}

	private Round newRound() {
		long now = System.nanoTime();
		MasterStatus current = this.status.get();
		Map<MasterStatus.WorkerStatus, CompletableFuture<byte[]>> pending = new LinkedHashMap<>();
		current.workers()
			.stream()
			.filter((worker) -> worker.state() == WorkerState.READY)
			.sorted((a, b) -> Integer.compare(a.slot(), b.slot()))
			.forEach((worker) -> pending.put(worker, this.ask.apply(worker.pid())));
		long deadline = now + this.timeout.toNanos();
		List<WorkerAnswer> answers = pending.entrySet().stream().map((entry) -> {
			MasterStatus.WorkerStatus worker = entry.getKey();
			try {
				byte[] answer = entry.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
				return parse(worker.slot(), worker.pid(), answer);
			}
			catch (TimeoutException ex) {
				entry.getValue().cancel(false);
				return WorkerAnswer.failed(worker, "no answer within " + this.timeout.toMillis() + " ms");
			}
			catch (ExecutionException ex) {
				return WorkerAnswer.failed(worker, "cannot ask it: " + ex.getCause().getMessage());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return WorkerAnswer.failed(worker, "interrupted");
			}
		}).toList();
		register(answers, true);
		return new Round(System.nanoTime(), current.minReadyWorkers(), answers);
	}

	/**
	 * Registers the names workers report and the master does not have; after a whole round in
	 * which a worker answered, removes those no worker reports any more (a reload to code
	 * without them).
	 */
	private void register(List<WorkerAnswer> answers, boolean wholeRound) {
		synchronized (this.registered) {
			registerLocked(answers, wholeRound);
		}
	}

	private void registerLocked(List<WorkerAnswer> answers, boolean wholeRound) {
		Set<String> reported = new HashSet<>();
		boolean anyAnswered = false;
		for (WorkerAnswer answer : answers) {
			if (answer.error() == null) {
				anyAnswered = true;
				reported.addAll(answer.components().keySet());
			}
		}
		List<String> added = new ArrayList<>();
		for (String name : new TreeSet<>(reported)) {
			if (this.masters.contains(name) || this.registered.contains(name) || this.refused.contains(name)) {
				continue;
			}
			if (this.registered.size() >= MAX_COMPONENTS) {
				refuse(name, "the master shows at most " + MAX_COMPONENTS + " of the workers' components");
				continue;
			}
			try {
				this.registry.registerContributor(name, new Component(name));
				this.registered.add(name);
				added.add(name);
			}
			catch (RuntimeException ex) {
				refuse(name, ex.getMessage());
			}
		}
		if (!added.isEmpty()) {
			logger.info("The master's health shows the workers' own health components: " + String.join(", ", added));
		}
		if (wholeRound && anyAnswered) {
			for (String name : List.copyOf(this.registered)) {
				if (!reported.contains(name)) {
					this.registered.remove(name);
					this.registry.unregisterContributor(name);
					logger.info("Health component '" + name + "' is no longer reported by any ready worker; removed "
							+ "from the master's health endpoint");
				}
			}
		}
	}

	/** A name that is not shown: said once, and remembered (a bounded number of them). */
	private void refuse(String name, String why) {
		if (this.refused.size() < MAX_COMPONENTS) {
			this.refused.add(name);
			logger.warn("Not showing the workers' health component '" + name + "' on the master: " + why);
		}
	}

	/** The health of one of the application's components across the ready workers. */
	Health health(String name, Round round) {
		Map<String, Object> workers = new LinkedHashMap<>();
		int up = 0;
		for (WorkerAnswer answer : round.answers()) {
			String key = Integer.toString(answer.slot());
			if (workers.containsKey(key)) {
				key = key + " (pid " + answer.pid() + ")";
			}
			Map<String, Object> shown = new LinkedHashMap<>();
			if (answer.error() != null) {
				shown.put("status", Status.UNKNOWN.getCode());
				shown.put("error", answer.error());
			}
			else if (answer.components().get(name) instanceof Map<?, ?> component) {
				Object status = component.get("status");
				shown.put("status", String.valueOf(status));
				if (this.applicationDetails) {
					component.forEach((field, value) -> shown.putIfAbsent(String.valueOf(field), value));
				}
				if (Status.UP.getCode().equals(status)) {
					up++;
				}
			}
			else {
				shown.put("status", "ABSENT");
			}
			shown.put("pid", answer.pid());
			workers.put(key, shown);
		}
		int needed = Math.max(1, round.minReadyWorkers());
		return Health.status((up >= needed) ? Status.UP : Status.DOWN)
			.withDetail("upWorkers", up)
			.withDetail("minReadyWorkers", round.minReadyWorkers())
			.withDetail("workers", workers)
			.build();
	}

	private WorkerAnswer parse(int slot, long pid, byte[] answer) {
		if (answer.length > MAX_ANSWER_BYTES) {
			return new WorkerAnswer(slot, pid, Map.of(), "its answer is larger than " + MAX_ANSWER_BYTES + " bytes");
		}
		try {
			Map<?, ?> document = this.mapper.readValue(answer, Map.class);
			if (document.get("error") != null) {
				return new WorkerAnswer(slot, pid, Map.of(), String.valueOf(document.get("error")));
			}
			Map<String, Object> components = new LinkedHashMap<>();
			if (document.get("components") instanceof Map<?, ?> found) {
				found.forEach((name, component) -> {
					if (components.size() < MAX_COMPONENTS && NAME.matcher(String.valueOf(name)).matches()) {
						components.put(String.valueOf(name), component);
					}
				});
			}
			return new WorkerAnswer(slot, pid, components, null);
		}
		catch (RuntimeException ex) {
			return new WorkerAnswer(slot, pid, Map.of(), "its answer is not a health document: " + ex.getMessage());
		}
	}

	/** One round of answers: what every component of one health request is computed from. */
	record Round(long takenAt, int minReadyWorkers, List<WorkerAnswer> answers) {
	}

	/**
	 * A worker's answer.
	 * @param slot its slot, or -1 when it is learned outside a round ({@link #workerReady})
	 * @param components its components by name, each a JSON object
	 * @param error why there are none, or null
	 */
	record WorkerAnswer(int slot, long pid, Map<String, Object> components, String error) {

		static WorkerAnswer failed(MasterStatus.WorkerStatus worker, String error) {
			return new WorkerAnswer(worker.slot(), worker.pid(), Map.of(), error);
		}

	}

	/** One of the application's components, as the master's health shows it. */
	private final class Component implements HealthIndicator {

		private final String name;

		Component(String name) {
			this.name = name;
		}

		@Override
		public Health health() {
			return WorkersHealth.this.health(this.name, round());
		}

	}

}
