package dev.prefork.os;

import java.lang.management.ManagementFactory;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.prefork.master.MasterEvents;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Keeps the master's memory small. The master is the user's JVM, started with the JVM's
 * defaults for an application (an initial heap of 1/64 of the machine's memory), but once
 * its workers run it needs only a few MiB of heap. When the first workers are ready it lets
 * the heap shrink (the manageable {@code MinHeapFreeRatio}/{@code MaxHeapFreeRatio}), asks
 * G1 to collect and give back memory when idle ({@code G1PeriodicGCInterval}), collects once
 * and returns malloc's free memory to the system. Each step is skipped quietly where the JVM
 * does not allow it.
 */
public final class MasterFootprint implements MasterEvents {

	private static final Log logger = LogFactory.getLog(MasterFootprint.class);

	@Override
	public void ready(int workers) {
		Thread thread = new Thread(MasterFootprint::shrink, "prefork-footprint");
		thread.setDaemon(true);
		thread.start();
	}

	static void shrink() {
		Long before = ProcFs.residentBytes(ProcessHandle.current().pid());
		HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
		set(vm, "MinHeapFreeRatio", "10");
		set(vm, "MaxHeapFreeRatio", "30");
		set(vm, "G1PeriodicGCInterval", "60000");
		System.gc();
		try {
			Native.libc().malloc_trim(0);
		}
		catch (RuntimeException | LinkageError ex) {
			// not glibc: nothing to trim
		}
		Long after = ProcFs.residentBytes(ProcessHandle.current().pid());
		if (before != null && after != null) {
			logger.info("Master memory compacted now that the workers run: RSS " + (before >> 20) + " -> " + (after >> 20)
					+ " MiB");
		}
	}

	private static void set(HotSpotDiagnosticMXBean vm, String option, String value) {
		try {
			vm.setVMOption(option, value);
		}
		catch (RuntimeException ex) {
			// not manageable in this JVM or not this collector
		}
	}

}
