package dev.prefork.autoconfigure;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * Who may send commands to the master over HTTP.
 */
public class ControlProperties {

	/**
	 * Bearer token (Authorization: Bearer <token>) that the prefork endpoint (status and
	 * commands), every write operation of any endpoint and every request for the
	 * application's own endpoints (which the workers answer) require; health and
	 * prometheus stay open to probes and scrapers. Required when the management server listens on a
	 * non-loopback address.
	 */
	private String token;

	/**
	 * File that holds the bearer token (instead of prefork.control.token): owned by the
	 * master's user and readable by no one else (mode 600 or 400). Recommended: a
	 * command line is readable by every user of the machine.
	 */
	private File tokenFile;

	/**
	 * Host names the management server answers to besides IP addresses, localhost and
	 * management.server.address (the Host header, against DNS rebinding); .example.com
	 * for a domain and its subdomains.
	 */
	private List<String> allowedHosts = new ArrayList<>();

	public String getToken() {
		return this.token;
	}

	public void setToken(String token) {
		this.token = token;
	}

	public File getTokenFile() {
		return this.tokenFile;
	}

	public void setTokenFile(File tokenFile) {
		this.tokenFile = tokenFile;
	}

	public List<String> getAllowedHosts() {
		return this.allowedHosts;
	}

	public void setAllowedHosts(List<String> allowedHosts) {
		this.allowedHosts = allowedHosts;
	}

}
