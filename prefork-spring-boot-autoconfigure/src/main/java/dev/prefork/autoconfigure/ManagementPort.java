package dev.prefork.autoconfigure;

import org.springframework.boot.web.server.WebServer;

/**
 * How the new master of an upgrade, once promoted, moves its management endpoints from the
 * private loopback port to the configured management port: one implementation per web stack.
 */
interface ManagementPort {

	/**
	 * Opens the management port, configured as the private one is (TLS and customizers), then
	 * closes the private one; logs why if it cannot, and the endpoints stay where they are.
	 * @param webServer the master's web server, on the private port
	 * @param address the configured management address
	 * @param port the configured management port
	 */
	void open(WebServer webServer, String address, int port);

}
