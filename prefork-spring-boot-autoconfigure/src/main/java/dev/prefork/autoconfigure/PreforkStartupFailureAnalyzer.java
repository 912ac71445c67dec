package dev.prefork.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Reports a {@link PreforkStartupException} as Spring Boot reports a port in use: what is
 * wrong, and what to do.
 */
class PreforkStartupFailureAnalyzer extends AbstractFailureAnalyzer<PreforkStartupException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, PreforkStartupException cause) {
		return new FailureAnalysis(cause.getMessage(), cause.getAction(), cause);
	}

}
