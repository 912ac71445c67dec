package dev.prefork.autoconfigure;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ClassPreloaderTests {

	@Test
	void loadsTheClassesOfEveryPackageTheMasterUses() {
		Set<String> asked = ConcurrentHashMap.newKeySet();
		ClassLoader recording = new ClassLoader(getClass().getClassLoader()) {
			@Override
			protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
				asked.add(name);
				return super.loadClass(name, resolve);
			}
		};
		ClassPreloader.preload(recording);
		assertThat(asked).contains("dev.prefork.master.Master", "dev.prefork.os.MasterSignals",
				"dev.prefork.pidfile.Pidfile", "dev.prefork.preload.ClassDataArchive",
				"dev.prefork.systemd.SystemdNotify", "dev.prefork.touchreload.TouchReload",
				"dev.prefork.protocol.WorkerEnvironment", "dev.prefork.hooks.ServerHooks");
	}

}
