package dev.prefork.sample;

import dev.prefork.hooks.ServerHooks;
import dev.prefork.hooks.WorkerLaunch;

/**
 * Server hooks that only {@code prefork.hooks} names (they are not in ServerHooks.imports): each
 * worker gets SAMPLE_PROPERTY_HOOK=slot.
 */
public class PropertyHooks implements ServerHooks {

	@Override
	public void preFork(WorkerLaunch launch) {
		launch.environment().put("SAMPLE_PROPERTY_HOOK", Integer.toString(launch.slot()));
	}

}
