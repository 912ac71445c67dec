package dev.prefork.autoconfigure;

import java.io.IOException;
import java.nio.file.Path;

import dev.prefork.os.JvmCommandLine;
import dev.prefork.preload.ClassDataArchive;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * {@code java -jar app.jar --prefork.preload=build}: builds the class-data archive workers
 * start with (training run and warm-up included), or checks the one already built, and
 * exits without binding a socket or starting a worker. For a Dockerfile {@code RUN} step,
 * so that a container's first start finds the archive ready.
 */
final class PreloadBuild {

	private static final Log logger = LogFactory.getLog(PreloadBuild.class);

	private PreloadBuild() {
	}

	static boolean isRequested(Environment environment) {
		return "build".equalsIgnoreCase(environment.getProperty("prefork.preload", "").trim());
	}

	/** Builds the archive; the process exit code: 0 when it is ready, 1 when it could not be built. */
	static int run(Environment environment, String[] args) {
		PreforkProperties properties = Binder.get(environment)
			.bind("prefork", PreforkProperties.class)
			.orElseGet(PreforkProperties::new);
		Path directory = (properties.getPreloadDir() != null) ? properties.getPreloadDir().toPath() : null;
		try (ClassDataArchive archive = ClassDataArchive.of(ClassDataArchive.Mode.BUILD, directory,
				JvmCommandLine.ofCurrentJvm(MasterSecretSources.of(args).secrets()), properties.trainingTimeout())) {
			Path file = archive.build();
			logger.info("The class-data archive is ready: " + file + ". Workers of this jar on this JVM start with it "
					+ "(prefork.preload=auto, the default)");
			return 0;
		}
		catch (IllegalStateException | IOException ex) {
			logger.error("prefork.preload=build: no class-data archive was built: " + ex.getMessage());
			return 1;
		}
	}

}
