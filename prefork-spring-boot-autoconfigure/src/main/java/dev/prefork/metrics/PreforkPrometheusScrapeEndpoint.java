package dev.prefork.metrics;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Semaphore;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.WebEndpoint;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusOutputFormat;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.prometheus.PrometheusScrapeEndpoint;
import org.springframework.util.MimeTypeUtils;

/**
 * The master's {@code /actuator/prometheus}: the single scrape target. It serves the master's
 * own meters and every ready worker's meters, fetched over the workers' channels at scrape
 * time and labelled {@code worker="<slot>"}. Always Prometheus text format 0.0.4, which every
 * Prometheus reads; {@code includedNames} filters the master's own meters only.
 *
 * <p>
 * A scrape waits for the slowest worker, and the master has few request threads, which health
 * probes need too: beyond a few scrapes at once, a scrape is refused at once with 503.
 */
@WebEndpoint(id = "prometheus")
public class PreforkPrometheusScrapeEndpoint extends PrometheusScrapeEndpoint {

	private final WorkerScrapes workers;

	private final int maxScrapes;

	private final Semaphore scrapes;

	/**
	 * @param maxScrapes the most scrapes that run at once
	 */
	public PreforkPrometheusScrapeEndpoint(PrometheusRegistry registry, Properties properties, WorkerScrapes workers,
			int maxScrapes) {
		super(registry, properties);
		this.workers = workers;
		this.maxScrapes = maxScrapes;
		this.scrapes = new Semaphore(maxScrapes);
	}

	@Override
	@ReadOperation(producesFrom = PrometheusOutputFormat.class)
	public WebEndpointResponse<byte[]> scrape(PrometheusOutputFormat format, @Nullable Set<String> includedNames) {
		if (!this.scrapes.tryAcquire()) {
			this.workers.refused();
			String message = "refused: " + this.maxScrapes + " scrapes at once already wait for the workers, and the "
					+ "master keeps its other threads for health probes; scrape again later\n";
			return new WebEndpointResponse<>(message.getBytes(StandardCharsets.UTF_8),
					WebEndpointResponse.STATUS_SERVICE_UNAVAILABLE, MimeTypeUtils.TEXT_PLAIN);
		}
		try {
			return this.workers.collect((texts) -> merge(texts, includedNames));
		}
		finally {
			this.scrapes.release();
		}
	}

	private WebEndpointResponse<byte[]> merge(Map<Integer, String> texts, @Nullable Set<String> includedNames) {
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
