package dev.prefork.autoconfigure;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import dev.prefork.master.CpuShare;
import dev.prefork.master.MemoryBudget;
import dev.prefork.master.WorkerBudget;
import dev.prefork.os.JvmCommandLine;
import dev.prefork.os.MemoryCgroup;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;
import org.springframework.core.env.PropertySource;

/**
 * Works out each worker's share of the machine from the configuration, the memory limit of
 * the master's cgroup (or the machine) and the options the user already gives workers: a
 * heap or processor option of the user's is left alone, and then the master does not size
 * that resource.
 */
final class WorkerBudgets {

	private static final Log logger = LogFactory.getLog(WorkerBudgets.class);

	/** Options that set a worker's max heap, or the share of memory the JVM takes for it. */
	private static final List<String> HEAP_OPTIONS = List.of("-Xmx", "-XX:MaxHeapSize=", "-Xms", "-XX:InitialHeapSize=",
			"-XX:MaxRAMPercentage=", "-XX:MinRAMPercentage=", "-XX:InitialRAMPercentage=", "-XX:MaxRAMFraction=",
			"-XX:MinRAMFraction=", "-XX:MaxRAM=");

	/** Environment variables whose JVM options every worker JVM reads too. */
	private static final List<String> OPTION_VARIABLES = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS");

	private WorkerBudgets() {
	}

	/**
	 * The budget for the master running in this JVM.
	 * @param properties the prefork properties
	 * @param environment the master's (or a reload's) environment
	 */
	static WorkerBudget of(PreforkProperties properties, Environment environment) {
		JvmCommandLine command;
		try {
			command = JvmCommandLine.ofCurrentJvm(dev.prefork.protocol.MasterSecrets.NONE);
		}
		catch (java.io.IOException ex) {
			command = new JvmCommandLine("java", List.of("java"));
		}
		return of(properties, environment, command.jvmOptions(), System.getenv(), MemoryCgroup.ofCurrentProcess(),
				physicalMemory(), Runtime.getRuntime().availableProcessors());
	}

	static WorkerBudget of(PreforkProperties properties, Environment environment, List<String> masterJvmOptions,
			Map<String, String> variables, Optional<MemoryCgroup> cgroup, long physicalMemory, int processors) {
		List<String> options = workerJvmOptions(properties, masterJvmOptions, variables);
		MemoryProperties memory = properties.getMemory();
		MemoryBudget memoryBudget = MemoryBudget.NONE;
		if (memory.isSizeWorkers()) {
			String heapOption = last(options, HEAP_OPTIONS);
			long cgroupLimit = cgroup.map(MemoryCgroup::limitBytes).orElse(-1L);
			long limit;
			String source;
			if (memory.getLimit() != null) {
				limit = memory.getLimit().toBytes();
				source = "prefork.memory.limit";
				if (cgroupLimit > 0 && limit > cgroupLimit) {
					logger.warn("prefork.memory.limit (" + (limit >> 20) + " MiB) is above the limit of "
							+ cgroup.get().describeLimit() + " (" + (cgroupLimit >> 20) + " MiB): the kernel will kill "
							+ "workers before the master's budget is used up");
				}
			}
			else if (cgroupLimit > 0) {
				limit = cgroupLimit;
				source = cgroup.get().describeLimit();
			}
			else {
				// A machine that is not a container is rarely the application's alone: one
				// worker gets the heap one plain JVM would (a quarter), N share what three would.
				limit = physicalMemory / 3;
				source = "a third of the physical memory (" + (physicalMemory >> 20) + " MiB)";
			}
			memoryBudget = new MemoryBudget(limit, source, memory.getMasterReserve().toBytes(),
					memory.getWorkerNonHeap().toBytes(), memory.getHeapFraction(), memory.getMinWorkerHeap().toBytes(),
					heapOption, (heapOption != null) ? maxHeapBytes(heapOption) : -1);
		}
		CpuShare cpu = new CpuShare(processors, properties.getWorker().isShareCpus(),
				last(options, List.of("-XX:ActiveProcessorCount=")),
				userSetsRequestThreads(environment) || !hasServletPool(environment),
				last(options, List.of("-Djdk.virtualThreadScheduler.parallelism=")) != null,
				properties.getWorker().getReadyNice(), CpuShare.carriersPinHere());
		return new WorkerBudget(memoryBudget, cpu, bytes(properties.getMaxWorkerMemory()),
				bytes(properties.getMaxWorkerMemoryKill()));
	}

	/** Every JVM option a worker starts with, in the order the JVM reads them (the last wins). */
	static List<String> workerJvmOptions(PreforkProperties properties, List<String> masterJvmOptions,
			Map<String, String> variables) {
		List<String> options = new ArrayList<>();
		for (String variable : OPTION_VARIABLES.subList(0, 2)) {
			options.addAll(split(variables.get(variable)));
		}
		options.addAll(masterJvmOptions);
		options.addAll(properties.getWorker().jvmArgList());
		options.addAll(split(variables.get("_JAVA_OPTIONS")));
		return options;
	}

	private static List<String> split(String value) {
		return (value == null || value.isBlank()) ? List.of() : List.of(value.trim().split("\\s+"));
	}

	private static String last(List<String> options, List<String> prefixes) {
		String found = null;
		for (String option : options) {
			if (prefixes.stream().anyMatch(option::startsWith)) {
				found = option;
			}
		}
		return found;
	}

	/** The max heap an -Xmx or -XX:MaxHeapSize option gives, or -1 (a percentage, an initial size). */
	static long maxHeapBytes(String option) {
		String value = option.startsWith("-Xmx") ? option.substring(4)
				: option.startsWith("-XX:MaxHeapSize=") ? option.substring(16) : null;
		if (value == null || value.isEmpty()) {
			return -1;
		}
		char unit = Character.toLowerCase(value.charAt(value.length() - 1));
		int shift = switch (unit) {
			case 'k' -> 10;
			case 'm' -> 20;
			case 'g' -> 30;
			case 't' -> 40;
			default -> 0;
		};
		try {
			return Long.parseLong((shift > 0) ? value.substring(0, value.length() - 1) : value) << shift;
		}
		catch (NumberFormatException ex) {
			return -1;
		}
	}

	/**
	 * Whether the application's workers run Spring MVC on Tomcat or Jetty: a WebFlux application
	 * has no pool of blocking request threads to share.
	 */
	private static boolean hasServletPool(Environment environment) {
		ClassLoader classLoader = WorkerBudgets.class.getClassLoader();
		return (ClassUtils.isPresent("org.apache.catalina.startup.Tomcat", classLoader)
				|| ClassUtils.isPresent("org.eclipse.jetty.server.Server", classLoader))
				&& !"reactive".equalsIgnoreCase(environment.getProperty("spring.main.web-application-type", ""))
				&& ClassUtils.isPresent("org.springframework.web.servlet.DispatcherServlet", classLoader);
	}

	private static final List<String> THREADS_PROPERTIES = List.of("server.tomcat.threads.max",
			"server.jetty.threads.max");

	/** A request threads setting in any source but the master's own (which runs 8 threads). */
	private static boolean userSetsRequestThreads(Environment environment) {
		if (!(environment instanceof ConfigurableEnvironment configurable)) {
			return THREADS_PROPERTIES.stream().anyMatch(environment::containsProperty);
		}
		for (PropertySource<?> source : configurable.getPropertySources()) {
			if (!source.getName().equals(MasterEnvironment.SOURCE_NAME)
					&& !ConfigurationPropertySources.isAttachedConfigurationPropertySource(source)
					&& THREADS_PROPERTIES.stream().anyMatch(source::containsProperty)) {
				return true;
			}
		}
		return false;
	}

	private static long bytes(org.springframework.util.unit.DataSize size) {
		return (size != null) ? size.toBytes() : 0;
	}

	private static long physicalMemory() {
		java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
		return (os instanceof com.sun.management.OperatingSystemMXBean sun) ? sun.getTotalMemorySize() : -1;
	}

	/** The warning when the workers' connection pools together exceed what the database accepts. */
	static String poolWarning(PreforkProperties properties, Environment environment, int workers) {
		Integer max = properties.getDatasource().getMaxConnections();
		if (max == null) {
			return null;
		}
		int pool = environment.getProperty("spring.datasource.hikari.maximum-pool-size", Integer.class, 10);
		return (workers * pool > max) ? String.format(Locale.ROOT, "%d workers × %d connections "
				+ "(spring.datasource.hikari.maximum-pool-size) = %d, more than prefork.datasource.max-connections (%d): "
				+ "set spring.datasource.hikari.maximum-pool-size to at most %d", workers, pool, workers * pool, max,
				Math.max(1, max / workers)) : null;
	}

}
