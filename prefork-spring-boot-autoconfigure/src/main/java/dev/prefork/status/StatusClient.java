package dev.prefork.status;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Reads a master's status document from its management server. */
public final class StatusClient {

	private static final Duration TIMEOUT = Duration.ofSeconds(5);

	private static final int MAX_BYTES = 1 << 20;

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
			// no proxy: the token goes to the master's own address only; the whole answer within the timeout
			response = HttpClient.newBuilder()
				.connectTimeout(TIMEOUT)
				.proxy(HttpClient.Builder.NO_PROXY)
				.build()
				.sendAsync(request.build(), (info) -> limited(MAX_BYTES))
				.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (ExecutionException ex) {
			Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
			throw new IOException("no answer from the master's management server at " + uri + ": " + describe(cause)
					+ " (the status comes from management.server.*, read from this command's configuration as "
					+ "the master reads it)", cause);
		}
		catch (TimeoutException ex) {
			throw new IOException("no whole answer from " + uri + " within " + TIMEOUT.toSeconds() + " s", ex);
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

	private static String describe(Throwable ex) {
		String message = ex.getMessage();
		return (message != null && !message.isBlank()) ? message : ex.getClass().getSimpleName();
	}

	/** The body as text, failed once it grows past {@code maxBytes}: a status is a few KiB. */
	private static HttpResponse.BodySubscriber<String> limited(int maxBytes) {
		ByteArrayOutputStream body = new ByteArrayOutputStream();
		CompletableFuture<String> text = new CompletableFuture<>();
		HttpResponse.BodySubscriber<Void> collecting = HttpResponse.BodySubscribers.ofByteArrayConsumer((chunk) -> {
			if (chunk.isEmpty()) {
				text.complete(body.toString(StandardCharsets.UTF_8));
			}
			else if (body.size() + chunk.get().length > maxBytes) {
				text.completeExceptionally(new IOException("the answer is larger than " + (maxBytes >> 10) + " KiB"));
			}
			else {
				body.writeBytes(chunk.get());
			}
		});
		return new HttpResponse.BodySubscriber<>() {
			@Override
			public CompletionStage<String> getBody() {
				return text;
			}

			@Override
			public void onSubscribe(Flow.Subscription subscription) {
				collecting.onSubscribe(subscription);
				text.whenComplete((done, failure) -> {
					if (failure != null) {
						subscription.cancel();
					}
				});
			}

			@Override
			public void onNext(List<ByteBuffer> item) {
				collecting.onNext(item);
			}

			@Override
			public void onError(Throwable throwable) {
				text.completeExceptionally(throwable);
			}

			@Override
			public void onComplete() {
				collecting.onComplete();
			}
		};
	}

	/**
	 * A status document.
	 * @param text as the master sent it
	 * @param tree parsed
	 */
	public record Answer(String text, JsonNode tree) {
	}

}
