package dev.prefork.os;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The CPU priority of a child's threads. Linux keeps a nice value per thread:
 * {@code setpriority(PRIO_PROCESS, pid)} changes only the thread whose id is {@code pid}, so
 * each thread of {@code /proc/PID/task} is changed, twice over to catch threads started
 * meanwhile by a thread not changed yet; a thread started later inherits its creator's.
 * The JIT compiler threads keep the master's level: a new worker's compiles then finish while
 * its warm-up requests share the CPU with the serving workers' requests, and they are idle
 * once the code is compiled.
 */
final class ThreadPriorities {

	private static final Log logger = LogFactory.getLog(ThreadPriorities.class);

	private static final int PRIO_PROCESS = 0;

	private static final int LOWEST = 19;

	private ThreadPriorities() {
	}

	/**
	 * Sets every thread of {@code pid} to {@code increment} nice levels below the calling
	 * thread's (the master's), at most 19.
	 */
	static void lower(int pid, int increment) {
		String tasks = "/proc/" + pid + "/task/";
		int nice = Math.min(LOWEST, Native.posix().getpriority(PRIO_PROCESS, 0) + increment);
		Set<String> done = new HashSet<>();
		for (int pass = 0; pass < 2; pass++) {
			String[] threads = new File(tasks).list();
			if (threads == null) {
				return; // gone meanwhile
			}
			for (String thread : threads) {
				if (done.add(thread) && !isCompiler(tasks + thread) && Native.posix().setpriority(PRIO_PROCESS, Integer.parseInt(thread), nice) != 0
						&& Native.errno() != 3 /* ESRCH: the thread ended */) {
					logger.warn("Cannot lower the CPU priority of pid " + pid + " (thread " + thread + ") to nice " + nice
							+ ": errno " + Native.errno() + "; prefork.worker.ready-nice has no effect on it");
					return;
				}
			}
		}
	}

	/** HotSpot's C1 and C2 compiler threads ({@code comm}: "C2 CompilerThre", 15 characters). */
	private static boolean isCompiler(String task) {
		try {
			return Files.readString(Path.of(task, "comm")).contains("CompilerThre");
		}
		catch (IOException ex) {
			return false; // gone meanwhile
		}
	}

}
