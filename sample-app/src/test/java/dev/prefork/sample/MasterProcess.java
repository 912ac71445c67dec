package dev.prefork.sample;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import org.junit.jupiter.api.Assumptions;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The built sample jar running as a real prefork master, for integration tests. Closing it
 * stops the master by pid and fails if any worker it ever had outlives it.
 */
final class MasterProcess implements AutoCloseable {

	static final Path JAR = Path.of(System.getProperty("sample.jar", "target/sample-app.jar")).toAbsolutePath();

	/** The WebFlux sample ({@code sample-reactive}): the same endpoints on Reactor Netty. */
	static final Path REACTIVE_JAR = Path.of(System.getProperty("reactive.jar", "../sample-reactive/target/sample-reactive.jar"))
		.toAbsolutePath();

	/** Spring MVC on Jetty ({@code sample-jetty}): the same endpoints. */
	static final Path JETTY_JAR = Path.of(System.getProperty("jetty.jar", "../sample-jetty/target/sample-jetty.jar"))
		.toAbsolutePath();

	private static Path sampleJar(String module) {
		return Path.of(System.getProperty(module.substring("sample-".length()) + ".jar",
				"../" + module + "/target/" + module + ".jar"))
			.toAbsolutePath();
	}

	/**
	 * The web stacks a test that concerns workers runs on (a {@code @ParameterizedTest} with
	 * {@code @MethodSource} {@link #matrix()} or {@link #stacks()}): a sample application of
	 * each, with the same endpoints.
	 */
	enum Stack {

		/** Spring MVC on Tomcat: {@code sample-app}. */
		MVC_TOMCAT(JAR, "Tomcat"),

		/** WebFlux on Reactor Netty: {@code sample-reactive}. */
		WEBFLUX_NETTY(REACTIVE_JAR, "Netty"),

		/** Spring MVC on Jetty: {@code sample-jetty}. */
		MVC_JETTY(JETTY_JAR, "Jetty"),

		/** WebFlux on Tomcat: {@code sample-reactive-tomcat}, sample-reactive's sources. */
		WEBFLUX_TOMCAT(sampleJar("sample-reactive-tomcat"), "Tomcat"),

		/** WebFlux on Jetty: {@code sample-reactive-jetty}, sample-reactive's sources. */
		WEBFLUX_JETTY(sampleJar("sample-reactive-jetty"), "Jetty");

		final Path jar;

		/** As Spring Boot names it in "... started on port". */
		final String server;

		Stack(Path jar, String server) {
			this.jar = jar;
			this.server = server;
		}

		boolean webFlux() {
			return name().startsWith("WEBFLUX");
		}

	}

	/**
	 * Tomcat and Netty, for the whole matrix of worker tests; {@code -Dprefork.it.stacks=A,B}
	 * narrows it (the JDK 25 run takes Tomcat only).
	 */
	static Stream<Stack> matrix() {
		return stacks().filter((stack) -> stack == Stack.MVC_TOMCAT || stack == Stack.WEBFLUX_NETTY);
	}

	/** The stacks outside {@link #matrix()}, for a shorter drain test; narrowed as {@link #matrix()}. */
	static Stream<Stack> others() {
		Set<Stack> matrix = matrix().collect(Collectors.toSet());
		return stacks().filter((stack) -> !matrix.contains(stack));
	}

	/**
	 * A server of each kind, for the tests of a hung worker (a blocked request pool, a blocked
	 * event loop); narrowed as {@link #matrix()}.
	 */
	static Stream<Stack> servers() {
		return stacks().filter((stack) -> stack != Stack.WEBFLUX_TOMCAT && stack != Stack.WEBFLUX_JETTY);
	}

	/** Every stack, for the shared-socket, drain and warm-up tests; narrowed as {@link #matrix()}. */
	static Stream<Stack> stacks() {
		String only = System.getProperty("prefork.it.stacks", "");
		return Stream.of(Stack.values())
			.filter((stack) -> only.isBlank() || List.of(only.split(",")).contains(stack.name()));
	}

	static final String JAVA = System.getProperty("prefork.test.java",
			Path.of(System.getProperty("java.home"), "bin", "java").toString());

	static final Duration BOOT = Duration.ofSeconds(120);

	/** The feature version of {@link #JAVA} (17, 25), from its JDK's {@code release} file. */
	static int javaFeature() throws IOException {
		Path release = Path.of(JAVA).toRealPath().getParent().getParent().resolve("release");
		java.util.regex.Matcher version = java.util.regex.Pattern.compile("JAVA_VERSION=\"(\\d+)")
			.matcher(Files.readString(release));
		if (!version.find()) {
			throw new IOException("no JAVA_VERSION in " + release);
		}
		return Integer.parseInt(version.group(1));
	}

	/** Whether {@link #JAVA} was named by hand (-Djdk25.java): then it must exist. */
	private static final boolean JAVA_REQUIRED = Boolean.getBoolean("prefork.test.java.required");

	private static boolean missingJavaReported;

	/**
	 * Skips the test when the default JDK of a run is not installed, saying so in the log
	 * once; fails it when the JDK was named by hand and is missing, so that a typo does not
	 * give a green and empty run.
	 */
	private static synchronized void requireJava() {
		if (Files.isExecutable(Path.of(JAVA))) {
			return;
		}
		if (JAVA_REQUIRED) {
			fail("No java at " + JAVA + " (given with -Djdk25.java)");
		}
		if (!missingJavaReported) {
			missingJavaReported = true;
			System.err.println("WARNING: no java at " + JAVA + ": the tests of this run are skipped. Install it, or "
					+ "name another with -Djdk25.java=/path/to/bin/java");
		}
		Assumptions.abort("no java at " + JAVA);
	}

	static final String WARMUP_REQUESTS = "--prefork.warmup.max-requests=";

	private static final String WORKER_JVM_ARGS = "--prefork.worker.jvm-args=";

	/**
	 * The masters and workers of tests compile with C1 only and collect with the serial GC: no
	 * test measures speed, C2's compiler threads took a large share of the 2 CPUs that booting
	 * JVMs of two test classes share, and the serial GC boots a JVM with 9 % less CPU than G1
	 * (CONTRIBUTING.md, "Tests"; the suite's time budget is 30 minutes).
	 */
	static final String QUICK_JIT = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC";

	/** Turns on the sample's endpoints that harm a worker on purpose ({@code /hang}, {@code /allocate}, ...). */
	static final String TEST_ENDPOINTS = "--sample.test-endpoints=true";

	private static final JsonMapper json = JsonMapper.builder().build();

	final int port;

	final int managementPort;

	private boolean inPidNamespace;

	final Path log;

	private final Process process;

	private final Set<Long> workerPids = new LinkedHashSet<>();

	/** Other masters (new masters of upgrades) that {@link #close()} stops too. */
	private final Set<Long> adoptedMasters = new LinkedHashSet<>();

	/** {@code Bearer <prefork.control.token>}, or null: sent with the master's status and commands. */
	private final String authorization;

	/** Whether the management server speaks TLS ({@code management.server.ssl.enabled=true}). */
	private final boolean tls;

	/** {@code management.server.base-path}, which prefixes every path on the management port. */
	private final String basePath;

	private MasterProcess(Process process, int port, int managementPort, Path log, String[] args) {
		this.process = process;
		this.port = port;
		this.managementPort = managementPort;
		this.log = log;
		this.authorization = authorization(args);
		this.tls = List.of(args).contains("--management.server.ssl.enabled=true");
		String basePath = argument(args, "--management.server.base-path=");
		this.basePath = (basePath != null) ? basePath.substring("--management.server.base-path=".length()) : "";
	}

	/** {@code Bearer <token>} of {@code --prefork.control.token} (two spellings) or {@code --prefork.control.token-file}, or null. */
	private static String authorization(String[] args) {
		for (String spelling : List.of("--prefork.control.token=", "--prefork.control[token]=")) {
			String token = argument(args, spelling);
			if (token != null) {
				return "Bearer " + token.substring(spelling.length());
			}
		}
		String file = argument(args, "--prefork.control.token-file=");
		try {
			return (file != null)
					? "Bearer " + Files.readString(Path.of(file.substring("--prefork.control.token-file=".length()))).strip()
					: null;
		}
		catch (IOException ex) {
			return null; // the master refuses to start, and the test says so
		}
	}

	/**
	 * The arguments that serve the management endpoints over TLS with a self-signed
	 * certificate for localhost (a PKCS12 key store made by the JDK's keytool in {@code directory}).
	 */
	static List<String> managementTls(Path directory) throws Exception {
		Path keyStore = directory.resolve("management.p12");
		Path keytool = Path.of(JAVA).resolveSibling("keytool");
		Path log = directory.resolve("keytool.log");
		Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "prefork", "-keyalg", "RSA",
				"-keysize", "2048", "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", "changeit",
				"-dname", "CN=localhost", "-validity", "2").redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.start();
		assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(process.exitValue()).as(Files.readString(log)).isZero();
		return List.of("--management.server.ssl.enabled=true", "--management.server.ssl.key-store=" + keyStore,
				"--management.server.ssl.key-store-type=PKCS12", "--management.server.ssl.key-store-password=changeit");
	}

	/**
	 * Starts {@code java -jar sample-app.jar} on free ports.
	 * @param args extra arguments, e.g. {@code --prefork.workers=3}
	 */
	static MasterProcess start(String... args) throws IOException {
		return start(List.of(), args);
	}

	/**
	 * Starts the master behind a command prefix, e.g. {@code sh -c 'trap "" HUP; exec "$@"' sh}.
	 */
	static MasterProcess start(List<String> prefix, String... args) throws IOException {
		return start(prefix, JAR, Map.of(), args);
	}

	/** Starts {@code java -jar} of the stack's sample on free ports. */
	static MasterProcess start(Stack stack, String... args) throws IOException {
		return start(List.of(), stack.jar, Map.of(), args);
	}

	/** Starts the master with more environment variables. */
	static MasterProcess startWithEnvironment(Map<String, String> environment, String... args) throws IOException {
		return start(List.of(), JAR, environment, args);
	}

	/** Starts {@code java -jar <jar>}, a copy of the sample app a test may replace. */
	static MasterProcess startJar(Path jar, String... args) throws IOException {
		return start(List.of(), jar, Map.of(), args);
	}

	private static MasterProcess start(List<String> prefix, Path jar, Map<String, String> environment, String... args)
			throws IOException {
		requireJava();
		if (argument(args, "--prefork.preload") == null && argument(args, "--prefork.enabled=false") == null) {
			buildArchiveAhead(jar);
		}
		int port = portArgument(args, "--server.port=");
		int managementPort = portArgument(args, "--management.server.port=");
		List<String> command = new ArrayList<>(prefix);
		command.add(JAVA);
		command.addAll(List.of(QUICK_JIT.split(" ")));
		command.addAll(List.of("-jar", jar.toString()));
		boolean workerOptions = false;
		for (String arg : args) {
			if (arg.startsWith(WORKER_JVM_ARGS)) {
				command.add(WORKER_JVM_ARGS + QUICK_JIT + " " + arg.substring(WORKER_JVM_ARGS.length()));
				workerOptions = true;
			}
			else if (!arg.startsWith("--server.port=") && !arg.startsWith("--management.server.port=")) {
				command.add(arg);
			}
		}
		if (!workerOptions) {
			command.add(WORKER_JVM_ARGS + QUICK_JIT);
		}
		if (argument(args, WARMUP_REQUESTS) == null) {
			// A short warm-up, still on every worker: most tests are about something else.
			command.add(WARMUP_REQUESTS + "100");
		}
		command.add((port >= 0) ? "--server.port=" + port : argument(args, "--server.port="));
		command.add("--management.server.port=" + managementPort);
		// beside the jar (target/), not in /tmp: kept for a look after a failure, gone with mvn clean
		Path log = Files.createTempFile(Files.createDirectories(JAR.getParent().resolve("master-logs")), "master-", ".log");
		ProcessBuilder builder = new ProcessBuilder(command);
		builder.environment().putAll(environment);
		Process process = builder.redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
			.start();
		return new MasterProcess(process, port, managementPort, log, args);
	}

	/** The sample jars whose class-data archive this JVM made sure of (for {@link #JAVA}). */
	private static final Set<Path> archived = new HashSet<>();

	/**
	 * Builds the class-data archive of a sample jar in its default place once, before its first
	 * master starts, as a deploy would ({@code --prefork.preload=build}): otherwise every test's
	 * workers start cold (a WebFlux worker took 56 s to start on a busy machine) while their
	 * master builds the archive in the background, and the test stops it before it is done.
	 * Test forks take turns through a lock file. A copy of a jar a test makes is left alone.
	 */
	private static synchronized void buildArchiveAhead(Path jar) throws IOException {
		boolean sample = jar.equals(JAR) || Stream.of(Stack.values()).anyMatch((stack) -> stack.jar.equals(jar));
		if (!sample || !archived.add(jar)) {
			return;
		}
		Path lock = jar.resolveSibling(".prefork-build.lock");
		try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
				FileLock held = channel.lock()) {
			try (MasterProcess build = startJar(jar, "--prefork.preload=build")) {
				assertThat(build.awaitExit(Duration.ofMinutes(5)))
					.as("building the class-data archive of " + jar + ":\n" + build.output())
					.isZero();
			}
		}
		catch (IOException ex) {
			throw ex;
		}
		catch (Exception ex) {
			throw new IOException("building the class-data archive of " + jar, ex);
		}
	}

	/**
	 * The port a test chose with {@code prefix}, or a free one; -1 when the test passed a
	 * placeholder such as {@code --server.port=${test.port}}, resolved by the master.
	 */
	private static int portArgument(String[] args, String prefix) throws IOException {
		String value = argument(args, prefix);
		if (value == null) {
			return freePort();
		}
		String port = value.substring(prefix.length());
		return port.startsWith("${") ? -1 : Integer.parseInt(port);
	}

	private static String argument(String[] args, String prefix) {
		for (String arg : args) {
			if (arg.startsWith(prefix)) {
				return arg;
			}
		}
		return null;
	}

	/** Runs a master that is expected to exit by itself, e.g. on bad configuration. */
	static Exited runToExit(String... args) throws Exception {
		return runToExit(JAR, args);
	}

	/** Runs the given jar, expected to exit by itself, e.g. {@code --prefork.preload=build}. */
	static Exited runToExit(Path jar, String... args) throws Exception {
		try (MasterProcess master = startJar(jar, args)) {
			int code = master.awaitExit(BOOT);
			return new Exited(code, master.output(), master.descendantsSeen());
		}
	}

	/**
	 * A master that exited by itself.
	 * @param started the processes it started that the test saw (each checked gone once it exited)
	 */
	record Exited(int code, String output, Set<Long> started) {
	}

	long pid() {
		return this.process.pid();
	}

	/** The port the master's workers serve. */
	int port() {
		return this.port;
	}

	boolean isAlive() {
		return this.process.isAlive();
	}

	String output() throws IOException {
		return Files.readString(this.log, StandardCharsets.UTF_8);
	}

	/** {@code GET /actuator/prefork}, remembering every worker pid it names. */
	JsonNode status() throws IOException {
		JsonNode status = json.readTree(management("GET", "/actuator/prefork", Map.of(), "").body());
		for (JsonNode worker : status.get("workers")) {
			if (!this.inPidNamespace) {
				this.workerPids.add(worker.get("pid").asLong());
			}
		}
		return status;
	}

	/**
	 * For a master in its own PID namespace: the pids in its status are not this machine's,
	 * so {@link #close()} checks only the descendants of the process it started.
	 */
	MasterProcess inPidNamespace() {
		this.inPidNamespace = true;
		return this;
	}

	/** Waits until the master runs {@code count} ready workers and returns its status. */
	JsonNode awaitReady(int count) throws Exception {
		return awaitStatus("master running with " + count + " ready workers", (status) -> {
			long ready = 0;
			for (JsonNode worker : status.get("workers")) {
				ready += worker.get("state").asString().equals("ready") ? 1 : 0;
			}
			return status.get("state").asString().equals("running") && ready == count
					&& status.get("workers").size() == count;
		});
	}

	JsonNode awaitStatus(String description, Predicate<JsonNode> condition) throws Exception {
		long deadline = System.nanoTime() + BOOT.toNanos();
		while (true) {
			if (!isAlive()) {
				fail("Master exited with " + this.process.exitValue() + " while waiting for: " + description + "\n"
						+ tail());
			}
			try {
				JsonNode status = status();
				if (condition.test(status)) {
					return status;
				}
			}
			catch (IOException ex) {
				// management server not up yet
			}
			if (System.nanoTime() > deadline) {
				fail("Timed out waiting for: " + description + "\n" + tail());
			}
			Thread.sleep(100);
		}
	}

	/** The pid of the worker in {@code slot}, from the master's status. */
	/** Workers in state ready. */
	static int readyCount(JsonNode status) {
		int ready = 0;
		for (JsonNode worker : status.get("workers")) {
			ready += worker.get("state").asString().equals("ready") ? 1 : 0;
		}
		return ready;
	}

	/** Runs {@code call}, turning a checked exception into an unchecked one (for lambdas that poll). */
	static <T> T call(java.util.concurrent.Callable<T> call) {
		try {
			return call.call();
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * The pid of the first worker the status lists in a slot, or -1. During a rolling reload a
	 * slot holds two (the draining one until it is reaped): wait for the count first.
	 */
	static long pidOfSlot(JsonNode status, int slot) {
		for (JsonNode worker : status.get("workers")) {
			if (worker.get("slot").asInt() == slot) {
				return worker.get("pid").asLong();
			}
		}
		return -1;
	}

	static Set<Long> pids(JsonNode status) {
		Set<Long> pids = new LinkedHashSet<>();
		status.get("workers").forEach((worker) -> pids.add(worker.get("pid").asLong()));
		return pids;
	}

	/** A request on a fresh connection, so the kernel may hand it to any worker. */
	Response get(String path) throws IOException {
		return get(this.port, path);
	}

	Response post(String path) throws IOException {
		return request(this.port, "POST", path);
	}

	static Response get(int port, String path) throws IOException {
		return request(port, "GET", path);
	}

	/** A plain HTTP request with the given headers, e.g. to the shared socket with credentials. */
	static Response request(int port, String method, String path, Map<String, String> headers) throws IOException {
		return request(port, false, method, path, headers, "", null);
	}

	private static Response request(int port, String method, String path) throws IOException {
		return request(port, method, path, "", null);
	}

	/** {@code POST} to the master's management port, e.g. {@code /actuator/prefork/scale}, with a JSON body. */
	Response control(String path, String json) throws IOException {
		return management("POST", path, json.isEmpty() ? Map.of() : Map.of("Content-Type", "application/json"), json);
	}

	Response control(String path, String json, String authorization) throws IOException {
		return request(this.managementPort, this.tls, "POST", this.basePath + path,
				json.isEmpty() ? Map.of() : Map.of("Content-Type", "application/json"), json, authorization);
	}

	/**
	 * A request to the management port exactly as given (path below the base path, headers,
	 * body), with this master's token and over TLS where it has them. A {@code Host} among
	 * the headers replaces {@code localhost:<port>}.
	 */
	Response management(String method, String path, Map<String, String> headers, String body) throws IOException {
		return request(this.managementPort, this.tls, method, this.basePath + path, headers, body, this.authorization);
	}

	private static Response request(int port, String method, String path, String body, String authorization)
			throws IOException {
		return request(port, false, method, path,
				body.isEmpty() ? Map.of() : Map.of("Content-Type", "application/json"), body, authorization);
	}

	private static Response request(int port, boolean tls, String method, String path, Map<String, String> extra,
			String body, String authorization) throws IOException {
		try (Socket socket = tls ? TrustingTls.connect(port) : new Socket(InetAddress.getLoopbackAddress(), port)) {
			socket.setSoTimeout(30_000);
			OutputStream out = socket.getOutputStream();
			byte[] content = body.getBytes(StandardCharsets.UTF_8);
			StringBuilder headers = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
			if (extra.keySet().stream().noneMatch("Host"::equalsIgnoreCase)) {
				headers.append("Host: localhost:").append(port).append("\r\n");
			}
			headers.append("Connection: close\r\n");
			extra.forEach((name, value) -> headers.append(name).append(": ").append(value).append("\r\n"));
			if (authorization != null) {
				headers.append("Authorization: ").append(authorization).append("\r\n");
			}
			headers.append("Content-Length: ").append(content.length).append("\r\n\r\n");
			out.write(headers.toString().getBytes(StandardCharsets.US_ASCII));
			out.write(content);
			out.flush();
			InputStream in = socket.getInputStream();
			// Chunk sizes count bytes: split head and body as ISO-8859-1 (one char a byte),
			// decode the body as UTF-8 last.
			String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
			if (response.length() < 12) {
				throw new IOException("connection closed without a response (" + method + " " + path + ")");
			}
			int status = Integer.parseInt(response.substring(9, 12));
			String responseBody = response.substring(response.indexOf("\r\n\r\n") + 4);
			if (response.contains("Transfer-Encoding: chunked")) {
				responseBody = dechunk(responseBody);
			}
			return new Response(status,
					new String(responseBody.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8),
					response.substring(0, Math.max(0, response.indexOf("\r\n\r\n"))));
		}
	}

	private static String dechunk(String chunked) {
		StringBuilder body = new StringBuilder();
		int at = 0;
		while (true) {
			int lineEnd = chunked.indexOf("\r\n", at);
			int size = Integer.parseInt(chunked.substring(at, lineEnd).trim(), 16);
			if (size == 0) {
				return body.toString();
			}
			body.append(chunked, lineEnd + 2, lineEnd + 2 + size);
			at = lineEnd + 2 + size + 2;
		}
	}

	record Response(int status, String body, String head) {

		Response(int status, String body) {
			this(status, body, "");
		}

		JsonNode json() {
			return MasterProcess.json.readTree(this.body);
		}

		/** A response header's value, or null. */
		String header(String name) {
			return this.head.lines()
				.filter((line) -> line.regionMatches(true, 0, name + ":", 0, name.length() + 1))
				.map((line) -> line.substring(name.length() + 1).trim())
				.findFirst()
				.orElse(null);
		}

	}

	/** Sends a real signal with {@code kill}. */
	static void kill(String signal, long pid) throws Exception {
		Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
		assertThat(kill.waitFor()).as("kill -" + signal + " " + pid).isZero();
	}

	void signal(String signal) throws Exception {
		kill(signal, pid());
	}

	/**
	 * Waits for the master to exit, noting every process it starts meanwhile, so that
	 * {@link #close()} checks that none outlives it.
	 */
	int awaitExit(Duration timeout) throws Exception {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (!this.process.waitFor(20, TimeUnit.MILLISECONDS)) {
			this.process.descendants().forEach((child) -> this.workerPids.add(child.pid()));
			if (System.nanoTime() > deadline) {
				fail("Master did not exit within " + timeout + "\n" + tail());
			}
		}
		return this.process.exitValue();
	}

	/** The processes the master started that this test saw. */
	Set<Long> descendantsSeen() {
		return Set.copyOf(this.workerPids);
	}

	/** Makes {@link #close()} stop {@code pid} (a new master of an upgrade) and check its workers too. */
	void adopt(long pid) {
		this.adoptedMasters.add(pid);
	}

	/** Waits until the log (master, workers, and any new master) contains {@code text}. */
	void awaitLog(String text) throws Exception {
		long deadline = System.nanoTime() + BOOT.toNanos();
		while (!output().contains(text)) {
			if (System.nanoTime() > deadline) {
				fail("Timed out waiting for log line containing: " + text + "\n" + tail());
			}
			Thread.sleep(100);
		}
	}

	/** Waits for a pidfile to exist and returns the pid in it. */
	static long awaitPidfile(Path pidfile) throws Exception {
		await(pidfile + " to be written", BOOT, () -> Files.exists(pidfile));
		return Long.parseLong(Files.readString(pidfile).trim());
	}

	Set<Long> workerPidsSeen() {
		return this.workerPids;
	}

	static void await(String description, Duration timeout, BooleanSupplier condition) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (!condition.getAsBoolean()) {
			if (System.nanoTime() > deadline) {
				fail("Timed out after " + timeout + " waiting for: " + description);
			}
			Thread.sleep(50);
		}
	}

	/** Runs scripts/install-test-tools.sh: systemd's tools, node and npm, python3, unshare, ss. */
	static void installTestTools() throws Exception {
		Path script = Path.of(System.getProperty("user.dir")).getParent().resolve("scripts/install-test-tools.sh");
		Ran ran = run(Duration.ofMinutes(20), null, script.toString());
		assertThat(ran.code()).as(script + "\n" + ran.output()).isZero();
	}

	/** What a command printed (stdout and stderr) and its exit code. */
	record Ran(int code, String output) {
	}

	/**
	 * Runs a command with its output in a file, at most {@code timeout}: a hung apt or npm is
	 * killed and fails the test instead of blocking it in a read that cannot be interrupted.
	 * @param input a file for its stdin, or null for none
	 */
	static Ran run(Duration timeout, Path input, String... command) throws Exception {
		Path output = Files.createTempFile("prefork-command-", ".log");
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(output.toFile())
				.redirectInput((input != null) ? ProcessBuilder.Redirect.from(input.toFile())
						: ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
				.start();
			if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
				process.descendants().forEach(ProcessHandle::destroyForcibly);
				process.destroyForcibly().waitFor();
				fail(String.join(" ", command) + " took longer than " + timeout + "\n"
						+ Files.readString(output, StandardCharsets.UTF_8));
			}
			return new Ran(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
		}
		finally {
			Files.deleteIfExists(output);
		}
	}

	/** A process's environment, one variable a line, from /proc. */
	static String environment(long pid) throws IOException {
		return Files.readString(Path.of("/proc/" + pid + "/environ")).replace('\0', '\n');
	}

	/** A process's command line, arguments separated by spaces, from /proc. */
	static String commandLine(long pid) throws IOException {
		return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
	}

	/** A process's arguments, from /proc. */
	static List<String> arguments(long pid) throws IOException {
		return List.of(Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0"));
	}

	static boolean isRunning(long pid) {
		return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
	}

	static boolean isPortFree(int port) {
		try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	String tail() {
		try {
			List<String> lines = Files.readAllLines(this.log);
			return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
		}
		catch (IOException ex) {
			return "(no log: " + ex.getMessage() + ")";
		}
	}

	/**
	 * Stops the master by pid (TERM, then KILL) and fails if any of its workers is left.
	 */
	@Override
	public void close() throws Exception {
		// Every step runs whatever the one before did: a master that died early, or a kill that
		// failed, must not leave an upgrade's new master or a worker running.
		this.process.descendants().forEach((child) -> this.workerPids.add(child.pid()));
		for (long adopted : this.adoptedMasters) {
			ProcessHandle.of(adopted).ifPresent((master) -> {
				master.descendants().forEach((child) -> this.workerPids.add(child.pid()));
				this.workerPids.add(adopted);
			});
		}
		// ProcessHandle.destroy() is SIGTERM: the master's graceful stop.
		this.process.toHandle().destroy();
		for (long adopted : this.adoptedMasters) {
			ProcessHandle.of(adopted).ifPresent(ProcessHandle::destroy);
		}
		if (!this.process.waitFor(60, TimeUnit.SECONDS)) {
			this.process.destroyForcibly().waitFor();
		}
		List<Long> orphans = new ArrayList<>();
		long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
		for (long pid : this.workerPids) {
			while (isRunning(pid) && System.nanoTime() < deadline) {
				Thread.sleep(50);
			}
			if (isRunning(pid)) {
				orphans.add(pid);
				ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
			}
		}
		assertThat(orphans).as("processes left behind by master " + pid()).isEmpty();
	}

	/** TLS to a master on loopback whose certificate the test made itself: any certificate is trusted. */
	private static final class TrustingTls {

		static Socket connect(int port) throws IOException {
			try {
				javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
				context.init(null, new javax.net.ssl.TrustManager[] { new javax.net.ssl.X509TrustManager() {

					@Override
					public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String type) {
					}

					@Override
					public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String type) {
					}

					@Override
					public java.security.cert.X509Certificate[] getAcceptedIssuers() {
						return new java.security.cert.X509Certificate[0];
					}

				} }, null);
				return context.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), port);
			}
			catch (java.security.GeneralSecurityException ex) {
				throw new IOException(ex);
			}
		}

	}

	/**
	 * Test ports come from a range of this failsafe fork's own ({@code prefork.test.fork}, 1 or
	 * more), below the kernel's ephemeral ports (32768 and up): a port the kernel handed to a
	 * probe here, or to an outgoing connection of a worker, can then never be the port that
	 * another fork's master is about to bind.
	 */
	private static final int PORT_RANGE = 4000;

	private static final int PORT_BASE = 16000 + (Integer.getInteger("prefork.test.fork", 1) - 1) % 4 * PORT_RANGE;

	private static final java.util.concurrent.atomic.AtomicInteger nextPort = new java.util.concurrent.atomic.AtomicInteger(
			new java.util.Random().nextInt(PORT_RANGE));

	/** Ports already handed out in this JVM: a port is handed out once. */
	private static final Set<Integer> handedOut = java.util.concurrent.ConcurrentHashMap.newKeySet();

	/** A port of this fork's range, free now and never handed out before in this JVM. */
	static int freePort() throws IOException {
		for (int tried = 0; tried < PORT_RANGE; tried++) {
			int port = PORT_BASE + Math.floorMod(nextPort.getAndIncrement(), PORT_RANGE);
			if (handedOut.add(port) && isPortFree(port)) {
				return port;
			}
		}
		throw new IOException("No free port left in " + PORT_BASE + "-" + (PORT_BASE + PORT_RANGE - 1));
	}

}
