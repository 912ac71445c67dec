package dev.prefork.sample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.micrometer.core.instrument.Clock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * A meter registry that appends raw Prometheus text to every scrape
 * ({@code sample.raw-meters=<file>}): lines Micrometer itself never writes (duplicate labels,
 * {@code +NaN}, bad escapes...), as an application's own registry or collector can. The
 * worker sends them to the master like any other meter, and the master's scrape must stay
 * valid.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty("sample.raw-meters")
class RawMeters {

	@Bean
	PrometheusMeterRegistry prometheusMeterRegistry(PrometheusConfig config, PrometheusRegistry registry, Clock clock,
			@Value("${sample.raw-meters}") Path file) throws IOException {
		String raw = Files.readString(file);
		return new PrometheusMeterRegistry(config, registry, clock) {

			@Override
			public String scrape() {
				return super.scrape() + raw;
			}

		};
	}

}
