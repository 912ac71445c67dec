package dev.prefork.autoconfigure;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.prefork.master.Command;
import dev.prefork.master.ControlCommand;
import dev.prefork.master.Master;
import dev.prefork.master.MasterStatus;
import dev.prefork.master.RecordedPaths;
import dev.prefork.master.Reply;
import dev.prefork.master.Source;
import dev.prefork.os.ProcFs;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;

/**
 * {@code /actuator/prefork} on the master: {@code GET} for the master and its workers,
 * {@code POST /actuator/prefork/{command}} for the commands that mirror the signals. A
 * command takes the same path as its signal; the answer says whether the master accepted it.
 */
@Endpoint(id = "prefork")
public class PreforkEndpoint {

	/** The master answers within a turn; a reload first reads the configuration again. */
	private static final long REPLY_TIMEOUT_SECONDS = 30;

	private final Master master;

	private final RecordedPaths warmupPaths;

	public PreforkEndpoint(Master master, RecordedPaths warmupPaths) {
		this.master = master;
		this.warmupPaths = warmupPaths;
	}

	@ReadOperation
	public MasterStatus status() {
		return this.master.status()
			.withWorkers((worker) -> worker.withResidentMemoryBytes(ProcFs.residentBytes(worker.pid())))
			.withWarmupPaths(this.warmupPaths.top());
	}

	/**
	 * Runs a command. Bodies were checked for syntax, unknown fields and JSON types by
	 * {@link PreforkControlFilter}; values are checked here.
	 * @param command one of {@link ControlCommand}
	 * @param strategy reload: {@code rolling} or {@code all-at-once}
	 * @param workers scale: the absolute worker count
	 * @param delta scale: workers to add (negative: remove)
	 * @param mode stop: {@code graceful} (default) or {@code quick}
	 * @return 202 when accepted, 400 for a bad request, 404 for an unknown command, 409 when
	 * the master's state does not allow it now
	 */
	@WriteOperation
	public WebEndpointResponse<Map<String, Object>> command(@Selector String command, @Nullable String strategy,
			@Nullable String workers, @Nullable String delta, @Nullable String mode) {
		ControlCommand known = ControlCommand.ofName(command).orElse(null);
		if (known == null) {
			return response(command, WebEndpointResponse.STATUS_NOT_FOUND,
					"unknown command '" + command + "'; the commands are " + ControlCommand.names());
		}
		Map<String, String> fields = new HashMap<>();
		fields.put("strategy", strategy);
		fields.put("workers", workers);
		fields.put("delta", delta);
		fields.put("mode", mode);
		fields.values().removeIf(Objects::isNull);
		CompletableFuture<Reply.Outcome> outcome = new CompletableFuture<>();
		Command submitted;
		try {
			submitted = known.create(fields, Source.HTTP, outcome::complete);
		}
		catch (IllegalArgumentException ex) {
			return response(command, WebEndpointResponse.STATUS_BAD_REQUEST, ex.getMessage());
		}
		this.master.submit(submitted);
		return answer(command, outcome);
	}

	private WebEndpointResponse<Map<String, Object>> answer(String command, CompletableFuture<Reply.Outcome> outcome) {
		try {
			Reply.Outcome answered = outcome.get(REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
			int status = switch (answered.result()) {
				case ACCEPTED -> 202;
				case CONFLICT -> 409;
				case INVALID -> WebEndpointResponse.STATUS_BAD_REQUEST;
			};
			return response(command, status, answered.message());
		}
		catch (TimeoutException ex) {
			return response(command, 202, "queued; the master has not answered within " + REPLY_TIMEOUT_SECONDS
					+ " s, see GET /actuator/prefork");
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return response(command, WebEndpointResponse.STATUS_SERVICE_UNAVAILABLE, "interrupted");
		}
		catch (ExecutionException ex) {
			return response(command, WebEndpointResponse.STATUS_INTERNAL_SERVER_ERROR, ex.getCause().toString());
		}
	}

	private static WebEndpointResponse<Map<String, Object>> response(String command, int status, String message) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("command", command);
		body.put("result", (status == 202) ? "accepted" : "refused");
		body.put("message", message);
		return new WebEndpointResponse<>(body, status);
	}

}
