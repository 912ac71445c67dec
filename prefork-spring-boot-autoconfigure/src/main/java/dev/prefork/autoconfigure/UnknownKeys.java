package dev.prefork.autoconfigure;

import java.util.List;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.UnboundElementsSourceFilter;
import org.springframework.core.env.Environment;

/**
 * The {@code prefork.*} keys of the user's configuration that no setting has: a typo
 * ({@code prefork.worker=4}) would otherwise pass silently. Configuration files and the
 * command line only: the environment and system properties hold other programs' variables too.
 */
final class UnknownKeys {

	private UnknownKeys() {
	}

	/** Each unknown key with where it is set, sorted; empty when binding fails for another reason (reported by the real binding). */
	static List<String> of(Environment environment) {
		try {
			Binder.get(environment)
				.bind("prefork", Bindable.of(PreforkProperties.class),
						new NoUnboundElementsBindHandler(BindHandler.DEFAULT, new UnboundElementsSourceFilter()));
			return List.of();
		}
		catch (BindException ex) {
			if (ex.getCause() instanceof UnboundConfigurationPropertiesException unbound) {
				return unbound.getUnboundProperties()
					.stream()
					.map(UnknownKeys::describe)
					.sorted()
					.toList();
			}
			return List.of();
		}
	}

	private static String describe(ConfigurationProperty property) {
		return property.getName() + ((property.getOrigin() != null) ? " (" + property.getOrigin() + ")" : "");
	}

}
