package dev.prefork.autoconfigure;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;

import org.springframework.boot.jetty.JettyWebServer;
import org.springframework.boot.web.server.WebServer;

/**
 * The promoted master's management port on Jetty: a connector with the private one's
 * connection factories (HTTP configuration, TLS), then the private one closes.
 */
final class JettyManagementPort implements ManagementPort {

	private static final Log logger = LogFactory.getLog(JettyManagementPort.class);

	@Override
	public void open(WebServer webServer, String address, int port) {
		if (!(webServer instanceof JettyWebServer jetty)) {
			return;
		}
		Server server = jetty.getServer();
		Connector[] old = server.getConnectors();
		ServerConnector connector = new ServerConnector(server,
				old[0].getConnectionFactories().toArray(new ConnectionFactory[0]));
		connector.setHost(address);
		connector.setPort(port);
		try {
			server.addConnector(connector);
			connector.start();
		}
		catch (Exception ex) {
			server.removeConnector(connector);
			logger.error("Cannot open the management port " + address + ":" + port + " (" + ex.getMessage()
					+ "); the endpoints stay on 127.0.0.1:" + webServer.getPort());
			return;
		}
		for (Connector previous : old) {
			try {
				previous.stop();
			}
			catch (Exception ex) {
				logger.warn("Cannot close the private management port: " + ex.getMessage());
			}
			server.removeConnector(previous);
		}
		logger.info("Management endpoints now on " + address + ":" + port
				+ ((connector.getConnectionFactory(SslConnectionFactory.class) != null) ? " (TLS)" : ""));
	}

}
