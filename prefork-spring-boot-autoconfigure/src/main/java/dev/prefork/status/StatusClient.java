package dev.prefork.status;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Reads a master's status document from its management server. */
public final class StatusClient {

	private static final Duration TIMEOUT = Duration.ofSeconds(5);

	private StatusClient() {
	}

	/**
	 * The status document of the master at {@code uri}, checked to be the one of {@code pid}.
	 * @param token the bearer token of {@code prefork.control}, or {@code null}
	 * @return the document's text and its tree
	 * @throws IOException with a message a person can act on: no answer, a refusal, another
	 * master, not a status document
	 */
	public static Answer fetch(URI uri, String token, long pid) throws IOException {
		HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).header("Accept", "application/json");
		if (token != null) {
			request.header("Authorization", "Bearer " + token);
		}
		HttpResponse<String> response;
		try {
			response = HttpClient.newBuilder().connectTimeout(TIMEOUT).build()
				.send(request.build(), HttpResponse.BodyHandlers.ofString());
		}
		catch (IOException ex) {
			throw new IOException("no answer from the master's management server at " + uri + ": " + describe(ex)
					+ " (the status comes from management.server.port, read from this command's configuration as "
					+ "the master reads it)", ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException("interrupted while asking " + uri, ex);
		}
		if (response.statusCode() == 401 || response.statusCode() == 403) {
			throw new IOException(uri + " refused the request (" + response.statusCode() + "): give this command the "
					+ "master's prefork.control.token or prefork.control.token-file");
		}
		if (response.statusCode() != 200) {
			throw new IOException(uri + " answered " + response.statusCode() + ", not the status (is the prefork "
					+ "endpoint exposed on the management server?)");
		}
		JsonNode status;
		try {
			status = JsonMapper.builder().build().readTree(response.body());
		}
		catch (JacksonException ex) {
			throw new IOException(uri + " did not answer a status document: " + ex.getOriginalMessage(), ex);
		}
		if (status.path("pid").asLong(-1) != pid) {
			throw new IOException(uri + " answers for the master with pid " + status.path("pid").asString("?")
					+ ", not pid " + pid + " of the pidfile: another master holds that management port");
		}
		return new Answer(response.body(), status);
	}

	private static String describe(IOException ex) {
		String message = ex.getMessage();
		return (message != null && !message.isBlank()) ? message : ex.getClass().getSimpleName();
	}

	/**
	 * A status document.
	 * @param text as the master sent it
	 * @param tree parsed
	 */
	public record Answer(String text, JsonNode tree) {
	}

}
