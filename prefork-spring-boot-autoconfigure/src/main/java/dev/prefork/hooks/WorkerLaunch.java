package dev.prefork.hooks;

import java.util.List;
import java.util.Map;

/**
 * A worker about to be started, for {@link ServerHooks#preFork}: its environment and extra
 * JVM options may be changed; the master's own (the listening socket, the channel, PREFORK_*)
 * are set after the hooks ran and cannot be.
 *
 * @param slot the worker's slot, 0 to workers - 1
 * @param generation its generation (1, then one more per reload)
 * @param gpu the GPU assigned to the slot, or null
 * @param environment the worker's environment, mutable
 * @param jvmOptions JVM options added for this worker, mutable
 */
public record WorkerLaunch(int slot, int generation, String gpu, Map<String, String> environment,
		List<String> jvmOptions) {
}
