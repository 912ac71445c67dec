package dev.prefork.metrics;

import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.Set;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpoint;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusOutputFormat;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusScrapeEndpoint;

/**
 * The master's {@code /actuator/prometheus}: the single scrape target. It serves the master's
 * own meters and every ready worker's meters, fetched over the workers' channels at scrape
 * time and labelled {@code worker="<slot>"}. Always Prometheus text format 0.0.4, which every
 * Prometheus reads; {@code includedNames} filters the master's own meters only.
 */
@WebEndpoint(id = "prometheus")
public class PreforkPrometheusScrapeEndpoint extends PrometheusScrapeEndpoint {

	private final WorkerScrapes workers;

	public PreforkPrometheusScrapeEndpoint(PrometheusRegistry registry, Properties properties, WorkerScrapes workers) {
		super(registry, properties);
		this.workers = workers;
	}

	@Override
	@ReadOperation(producesFrom = PrometheusOutputFormat.class)
	public WebEndpointResponse<byte[]> scrape(PrometheusOutputFormat format, @Nullable Set<String> includedNames) {
		var texts = this.workers.collect();
		WebEndpointResponse<byte[]> own = super.scrape(PrometheusOutputFormat.CONTENT_TYPE_004, includedNames);
		if (own.getStatus() != WebEndpointResponse.STATUS_OK || own.getBody() == null) {
			return own;
		}
		PrometheusText merged = new PrometheusText();
		merged.add(new String(own.getBody(), StandardCharsets.UTF_8), null);
		texts.forEach((slot, text) -> merged.add(text, slot));
		merged.dropped().forEach(this.workers::dropped);
		return new WebEndpointResponse<>(merged.render().getBytes(StandardCharsets.UTF_8),
				PrometheusOutputFormat.CONTENT_TYPE_004);
	}

}
