package dev.prefork.master;

/**
 * How the master divides the processors among its workers: a JVM sizes its GC and JIT
 * threads for every processor it sees, and Spring Boot's Tomcat and Jetty start up to 200
 * request threads, so N workers left to themselves run N times that on the same cores. Each
 * worker sees its share instead ({@code -XX:ActiveProcessorCount}, at least 1) and a request
 * pool divided the same way ({@code server.tomcat.threads.max} or {@code server.jetty.threads.max},
 * at least {@link #MIN_REQUEST_THREADS}), unless the user set them. The virtual-thread
 * scheduler sizes itself by the processors the JVM sees, so a worker's has a carrier per
 * processor of its share: the plain JVM's count, divided as its threads are. Before JDK 24 a
 * virtual thread blocked in {@code synchronized} pins its carrier, and one pinned thread would
 * stall a worker with a single carrier: there it keeps a carrier per processor of the machine
 * ({@code jdk.virtualThreadScheduler.parallelism}).
 *
 * @param processors the processors the master sees (its cgroup's CPU quota included)
 * @param enabled whether to divide at all ({@code prefork.worker.share-cpus})
 * @param userProcessorOption {@code -XX:ActiveProcessorCount=...} given by the user, or null
 * @param userSetsRequestThreads whether the user set the request threads, or the application has
 * no request pool to share (WebFlux)
 * @param userSetsCarriers whether the user set {@code -Djdk.virtualThreadScheduler.parallelism}
 * @param readyNice nice levels a worker's threads go below the master's once its application has started
 * ({@code prefork.worker.ready-nice}), so that one booting beside them is not starved; 0 for none
 * @param pinningCarriers whether a virtual thread blocked in {@code synchronized} pins its
 * carrier (the workers' JDK is older than 24, JEP 491)
 */
public record CpuShare(int processors, boolean enabled, String userProcessorOption, boolean userSetsRequestThreads,
		boolean userSetsCarriers, int readyNice, boolean pinningCarriers) {

	/** A share that leaves workers at the master's priority, on a JDK whose carriers pin. */
	public CpuShare(int processors, boolean enabled, String userProcessorOption, boolean userSetsRequestThreads,
			boolean userSetsCarriers) {
		this(processors, enabled, userProcessorOption, userSetsRequestThreads, userSetsCarriers, 0, true);
	}

	/** Whether this JVM's virtual threads pin their carrier in {@code synchronized}: before JDK 24. */
	public static boolean carriersPinHere() {
		return Runtime.version().feature() < 24;
	}

	/** Spring Boot's default {@code server.tomcat.threads.max} and {@code server.jetty.threads.max}. */
	static final int REQUEST_THREADS = 200;

	/** Below this, a worker could not serve a few slow requests and its heartbeat at once. */
	static final int MIN_REQUEST_THREADS = 25;

	public static final CpuShare NONE = new CpuShare(1, false, null, true, true);

	/** For the master's start line: each worker's processors and request threads, or "" when unset. */
	public String describe(int workers) {
		int processors = processorsFor(workers);
		int threads = requestThreadsFor(workers);
		return ((processors > 0) ? "; " + processors + " of " + processors() + " processors each" : "")
				+ ((threads > 0) ? ", up to " + threads + " request threads each" : "")
				+ ((this.readyNice > 0) ? "; workers at nice +" + this.readyNice + " once started" : "");
	}

	/**
	 * Whether the first of {@code workers} boots alone at the master's start: when they would
	 * share the processors (fewer than two each: a JVM's boot takes more than one, its main
	 * thread, JIT compilers and GC), and the master shares them out.
	 */
	public boolean headStart(int workers) {
		return this.enabled && this.processors < 2 * workers;
	}

	/** Processors a worker of {@code workers} sees, or -1 when the master does not set it. */
	public int processorsFor(int workers) {
		return (this.enabled && this.userProcessorOption == null) ? Math.max(1, this.processors / Math.max(1, workers))
				: -1;
	}

	/**
	 * The virtual-thread carriers of a worker of {@code workers}: the machine's processors when
	 * the worker sees fewer and its carriers pin, or -1 when the master does not set them (the
	 * scheduler then has a carrier per processor the worker sees).
	 */
	public int virtualThreadCarriersFor(int workers) {
		int seen = processorsFor(workers);
		return (this.pinningCarriers && seen > 0 && seen < this.processors && !this.userSetsCarriers) ? this.processors
				: -1;
	}

	/** The request pool of a worker of {@code workers}, or -1 when the master does not set it. */
	public int requestThreadsFor(int workers) {
		return (this.enabled && !this.userSetsRequestThreads)
				? Math.max(MIN_REQUEST_THREADS, (REQUEST_THREADS + workers - 1) / Math.max(1, workers)) : -1;
	}

}
