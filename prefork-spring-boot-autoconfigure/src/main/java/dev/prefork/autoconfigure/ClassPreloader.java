package dev.prefork.autoconfigure;

import java.io.IOException;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

/**
 * Loads every prefork class into the master at start (every package: a feature moved to a
 * package of its own must not be missed). A master runs for months, and the
 * jar it was started from may be overwritten in place by a deploy: a class loaded lazily
 * after that (say, the one a SIGTERM handler needs) would come from the new file at the old
 * offsets and fail with {@code NoClassDefFoundError}, leaving a master that cannot stop.
 * Deploys should replace the jar with an atomic rename ({@code mv}), which keeps the old file
 * for the running JVM; this makes prefork's own code immune either way.
 */
final class ClassPreloader {

	private static final Log logger = LogFactory.getLog(ClassPreloader.class);

	private ClassPreloader() {
	}

	static void preload(ClassLoader classLoader) {
		int loaded = 0;
		try {
			Resource[] classes = new PathMatchingResourcePatternResolver(classLoader)
				.getResources("classpath*:dev/prefork/**/*.class");
			for (Resource resource : classes) {
				String path = resource.getURL().toString();
				String name = path.substring(path.lastIndexOf("dev/prefork/"), path.length() - ".class".length())
					.replace('/', '.');
				try {
					Class.forName(name, false, classLoader);
					loaded++;
				}
				catch (ClassNotFoundException | LinkageError ex) {
					logger.debug("Cannot preload " + name + ": " + ex);
				}
			}
		}
		catch (IOException ex) {
			logger.warn("Cannot list prefork's classes to preload them: " + ex.getMessage());
		}
		logger.debug("Preloaded " + loaded + " prefork classes");
	}

}
