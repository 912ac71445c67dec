package dev.prefork.health;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.health.actuate.endpoint.StatusAggregator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthContributors;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.boot.health.registry.ReactiveHealthContributorRegistry;
import org.springframework.context.ApplicationContext;
import org.springframework.util.ClassUtils;

/**
 * A worker's answer to the master's {@code HEALTH} request: the health of the application's
 * own contributors (its database, its disk, its own {@code HealthIndicator}s, blocking and
 * reactive), as JSON {@code {"components":{"<name>":{"status":"UP","details":{..}}}}}, a
 * composite contributor as {@code {"status":..,"components":{..}}}. The worker has no
 * management server of its own: the master shows these components on its health endpoint
 * ({@link WorkersHealth}).
 */
public final class ApplicationHealth {

	private ApplicationHealth() {
	}

	/**
	 * The document, or one with an {@code error} and no components if this worker cannot say
	 * (no context yet, no Jackson 3 to write JSON with).
	 */
	public static byte[] of(ApplicationContext context) {
		if (!ClassUtils.isPresent("tools.jackson.databind.json.JsonMapper", ApplicationHealth.class.getClassLoader())) {
			return "{\"error\":\"the worker has no Jackson 3 (tools.jackson) to write its health with\"}"
				.getBytes(StandardCharsets.UTF_8);
		}
		if (context == null) {
			return "{\"error\":\"the application is not started yet\"}".getBytes(StandardCharsets.UTF_8);
		}
		try {
			return Json.render(context);
		}
		catch (RuntimeException ex) {
			return ("{\"error\":\"cannot list its health contributors: " + ex.getClass().getSimpleName() + "\"}")
				.getBytes(StandardCharsets.UTF_8);
		}
	}

	/** Apart, so that a worker without Jackson 3 never loads these classes. */
	private static final class Json {

		static byte[] render(ApplicationContext context) {
			JsonMapper mapper = context.getBeanProvider(JsonMapper.class).getIfAvailable(JsonMapper::new);
			StringBuilder json = new StringBuilder("{\"components\":{");
			String separator = "";
			for (HealthContributors.Entry entry : contributors(context)) {
				Map<String, Object> component = describe(entry.contributor());
				String text;
				try {
					text = mapper.writeValueAsString(component);
				}
				catch (RuntimeException ex) {
					// a detail Jackson cannot write: keep the status, say why the details are missing
					text = mapper.writeValueAsString(Map.of("status", component.get("status"), "details",
							Map.of("error", "details not writable as JSON: " + ex.getMessage())));
				}
				json.append(separator).append(mapper.writeValueAsString(entry.name())).append(':').append(text);
				separator = ",";
			}
			return json.append("}}").toString().getBytes(StandardCharsets.UTF_8);
		}

	}

	/** The blocking contributors, then the reactive ones (adapted) under names not taken. */
	private static Iterable<HealthContributors.Entry> contributors(ApplicationContext context) {
		Map<String, HealthContributors.Entry> byName = new LinkedHashMap<>();
		context.getBeanProvider(HealthContributorRegistry.class)
			.ifAvailable((registry) -> registry.stream().forEach((entry) -> byName.putIfAbsent(entry.name(), entry)));
		if (ClassUtils.isPresent("reactor.core.publisher.Mono", ApplicationHealth.class.getClassLoader())) {
			context.getBeanProvider(ReactiveHealthContributorRegistry.class)
				.ifAvailable((registry) -> registry.asHealthContributors()
					.stream()
					.forEach((entry) -> byName.putIfAbsent(entry.name(), entry)));
		}
		return byName.values();
	}

	private static Map<String, Object> describe(HealthContributor contributor) {
		Map<String, Object> described = new LinkedHashMap<>();
		if (contributor instanceof HealthIndicator indicator) {
			Health health;
			try {
				health = indicator.health(true);
			}
			catch (RuntimeException ex) {
				health = Health.down(ex).build();
			}
			described.put("status", health.getStatus().getCode());
			if (!health.getDetails().isEmpty()) {
				described.put("details", health.getDetails());
			}
		}
		else if (contributor instanceof CompositeHealthContributor composite) {
			Map<String, Object> components = new LinkedHashMap<>();
			Set<Status> statuses = new LinkedHashSet<>();
			composite.stream().forEach((entry) -> {
				Map<String, Object> member = describe(entry.contributor());
				statuses.add(new Status((String) member.get("status")));
				components.put(entry.name(), member);
			});
			described.put("status", StatusAggregator.getDefault().getAggregateStatus(statuses).getCode());
			described.put("components", components);
		}
		else {
			described.put("status", Status.UNKNOWN.getCode());
		}
		return described;
	}

}
