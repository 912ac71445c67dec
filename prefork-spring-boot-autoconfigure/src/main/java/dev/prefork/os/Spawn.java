package dev.prefork.os;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * {@code posix_spawn} of a child that gets exactly the descriptors it is given and a clean
 * signal state: nothing else of the parent leaks in (the JDK opens jars without
 * close-on-exec), no signal blocked, every signal at its default disposition (a master
 * started under {@code nohup} ignores HUP, and a child would inherit that).
 */
public final class Spawn {

	private Spawn() {
	}

	/**
	 * Starts a process.
	 * @param executable absolute path of the program
	 * @param argv the arguments, {@code argv[0]} included
	 * @param environment the complete environment of the child
	 * @param descriptors parent descriptor → child descriptor; every other descriptor above
	 * the highest child descriptor is closed in the child
	 * @return the child's pid
	 * @throws IOException if the process could not be started
	 */
	public static int spawn(String executable, List<String> argv, Map<String, String> environment,
			Map<Integer, Integer> descriptors) throws IOException {
		return spawn(executable, argv, environment, descriptors, false);
	}

	/**
	 * Starts a process, in a session of its own if {@code newSession}: it then has no
	 * controlling terminal, so it cannot push input into the terminal the master runs in
	 * (TIOCSTI) though it writes to it.
	 */
	public static int spawn(String executable, List<String> argv, Map<String, String> environment,
			Map<Integer, Integer> descriptors, boolean newSession) throws IOException {
		LibC libc = Native.libc();
		jnr.ffi.Runtime runtime = Native.runtime();
		Pointer actions = Memory.allocateDirect(runtime, LibC.SPAWN_FILE_ACTIONS_SIZE, true);
		Pointer attributes = Memory.allocateDirect(runtime, LibC.SPAWN_ATTR_SIZE, true);
		Pointer noSignals = Memory.allocateDirect(runtime, LibC.SIGSET_SIZE, true);
		Pointer allSignals = Memory.allocateDirect(runtime, LibC.SIGSET_SIZE, true);
		check(libc.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
		try {
			check(libc.posix_spawnattr_init(attributes), "posix_spawnattr_init");
			try {
				int highest = 2;
				for (Map.Entry<Integer, Integer> descriptor : descriptors.entrySet()) {
					check(libc.posix_spawn_file_actions_adddup2(actions, descriptor.getKey(), descriptor.getValue()),
							"posix_spawn_file_actions_adddup2");
					highest = Math.max(highest, descriptor.getValue());
				}
				check(libc.posix_spawn_file_actions_addclosefrom_np(actions, highest + 1),
						"posix_spawn_file_actions_addclosefrom_np");
				libc.sigemptyset(noSignals);
				libc.sigfillset(allSignals);
				check(libc.posix_spawnattr_setsigmask(attributes, noSignals), "posix_spawnattr_setsigmask");
				check(libc.posix_spawnattr_setsigdefault(attributes, allSignals), "posix_spawnattr_setsigdefault");
				check(libc.posix_spawnattr_setflags(attributes, (short) (LibC.POSIX_SPAWN_SETSIGMASK
						| LibC.POSIX_SPAWN_SETSIGDEF | (newSession ? LibC.POSIX_SPAWN_SETSID : 0))),
						"posix_spawnattr_setflags");
				List<String> env = new ArrayList<>();
				environment.forEach((name, value) -> env.add(name + "=" + value));
				StringArray args = new StringArray(argv);
				StringArray envp = new StringArray(env);
				int[] pid = new int[1];
				int error = libc.posix_spawn(pid, executable, actions, attributes, args.array, envp.array);
				Reference.reachabilityFence(args);
				Reference.reachabilityFence(envp);
				if (error != 0) {
					throw Native.error("posix_spawn " + executable, error);
				}
				return pid[0];
			}
			finally {
				libc.posix_spawnattr_destroy(attributes);
			}
		}
		finally {
			libc.posix_spawn_file_actions_destroy(actions);
		}
	}

	/**
	 * A {@code NULL}-terminated {@code char *[]} whose strings live in one block of memory
	 * that stays reachable as long as this object does.
	 */
	private static final class StringArray {

		private final Pointer strings;

		private final Pointer array;

		StringArray(List<String> values) {
			jnr.ffi.Runtime runtime = Native.runtime();
			List<byte[]> encoded = values.stream().map((value) -> value.getBytes(StandardCharsets.UTF_8)).toList();
			long total = encoded.stream().mapToLong((bytes) -> bytes.length + 1).sum();
			this.strings = Memory.allocateDirect(runtime, Math.max(total, 1), true);
			int size = runtime.addressSize();
			this.array = Memory.allocateDirect(runtime, (long) size * (values.size() + 1), true);
			long offset = 0;
			for (int i = 0; i < encoded.size(); i++) {
				byte[] bytes = encoded.get(i);
				this.strings.put(offset, bytes, 0, bytes.length);
				this.array.putAddress((long) i * size, this.strings.address() + offset);
				offset += bytes.length + 1;
			}
		}

	}

	private static void check(int error, String call) throws IOException {
		// posix_spawn* functions return the error number instead of setting errno.
		if (error != 0) {
			throw Native.error(call, error);
		}
	}

}
