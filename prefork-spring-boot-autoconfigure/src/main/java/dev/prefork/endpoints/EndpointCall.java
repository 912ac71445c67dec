package dev.prefork.endpoints;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A request for one of the application's Actuator endpoints, as the master passes it to a
 * worker: on one line of the channel, its fields percent-encoded and separated by spaces.
 *
 * @param method the HTTP method, e.g. {@code GET}
 * @param path the path below the management base path, without a leading slash, decoded,
 * e.g. {@code loggers/com.example}
 * @param query the raw query string, or empty
 * @param accept the request's {@code Accept} header, or empty
 * @param body the request's body (JSON, checked by the master's guard), or empty
 */
public record EndpointCall(String method, String path, String query, String accept, byte[] body) {

	private static final int FIELDS = 5;

	public EndpointCall {
		query = (query != null) ? query : "";
		accept = (accept != null) ? accept : "";
		body = (body != null) ? body : new byte[0];
	}

	/** The call as one line of text without spaces inside a field. */
	public String encode() {
		return String.join(" ", encoded(this.method), encoded(this.path), encoded(this.query), encoded(this.accept),
				Base64.getEncoder().encodeToString(this.body));
	}

	/**
	 * The call {@link #encode} wrote.
	 * @throws IllegalArgumentException if the text is not one
	 */
	public static EndpointCall decode(String text) {
		String[] fields = text.split(" ", -1);
		if (fields.length != FIELDS) {
			throw new IllegalArgumentException("an endpoint call has " + FIELDS + " fields, not " + fields.length);
		}
		return new EndpointCall(decoded(fields[0]), decoded(fields[1]), decoded(fields[2]), decoded(fields[3]),
				Base64.getDecoder().decode(fields[4]));
	}

	private static String encoded(String value) {
		return URLEncoder.encode(value, StandardCharsets.UTF_8);
	}

	private static String decoded(String value) {
		return URLDecoder.decode(value, StandardCharsets.UTF_8);
	}

}
