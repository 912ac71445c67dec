package dev.prefork.endpoints;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

import tools.jackson.databind.json.JsonMapper;

/**
 * A worker's answer to an {@link EndpointCall}: on the channel, a line
 * {@code <status> <content type>} and the body's bytes after it.
 *
 * @param status the HTTP status
 * @param contentType the body's media type, or empty without a body
 * @param body the body, possibly empty
 */
public record EndpointReply(int status, String contentType, byte[] body) {

	public EndpointReply {
		contentType = (contentType != null) ? contentType : "";
		body = (body != null) ? body : new byte[0];
	}

	/**
	 * An answer that says why in a JSON {@code message}, as the master's own refusals do;
	 * written without Jackson, which a worker may not have.
	 */
	public static EndpointReply message(int status, String message) {
		StringBuilder json = new StringBuilder("{\"message\":\"");
		message.codePoints().forEach((c) -> {
			if (c == '"' || c == '\\') {
				json.append('\\').appendCodePoint(c);
			}
			else if (c < 0x20) {
				json.append(String.format("\\u%04x", c));
			}
			else {
				json.appendCodePoint(c);
			}
		});
		return new EndpointReply(status, "application/json",
				json.append("\"}").toString().getBytes(StandardCharsets.UTF_8));
	}

	/** An answer with a JSON body of strings, numbers, lists and maps (on the master, which has Jackson). */
	static EndpointReply json(int status, Map<String, ?> json) {
		return new EndpointReply(status, "application/json", new JsonMapper().writeValueAsBytes(json));
	}

	public byte[] encode() {
		byte[] head = (this.status + " " + (this.contentType.isEmpty() ? "-" : this.contentType) + "\n")
			.getBytes(StandardCharsets.UTF_8);
		byte[] encoded = Arrays.copyOf(head, head.length + this.body.length);
		System.arraycopy(this.body, 0, encoded, head.length, this.body.length);
		return encoded;
	}

	/**
	 * The answer {@link #encode} wrote.
	 * @throws IllegalArgumentException if the bytes are not one (a worker is the user's code)
	 */
	public static EndpointReply decode(byte[] bytes) {
		int newline = 0;
		while (newline < bytes.length && newline < 512 && bytes[newline] != '\n') {
			newline++;
		}
		if (newline >= bytes.length || bytes[newline] != '\n') {
			throw new IllegalArgumentException("no status line");
		}
		String[] head = new String(bytes, 0, newline, StandardCharsets.UTF_8).split(" ", 2);
		int status;
		try {
			status = Integer.parseInt(head[0]);
		}
		catch (NumberFormatException ex) {
			throw new IllegalArgumentException("a status that is not a number: " + head[0]);
		}
		if (status < 200 || status > 599 || head.length != 2 || head[1].isBlank()) {
			throw new IllegalArgumentException("a malformed status line");
		}
		String contentType = head[1].equals("-") ? "" : head[1];
		return new EndpointReply(status, contentType, Arrays.copyOfRange(bytes, newline + 1, bytes.length));
	}

}
