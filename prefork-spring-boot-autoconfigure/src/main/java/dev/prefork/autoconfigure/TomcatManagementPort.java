package dev.prefork.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.catalina.Service;
import org.apache.catalina.connector.Connector;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.tomcat.SslConnectorCustomizer;
import org.springframework.boot.tomcat.TomcatProtocolHandlerCustomizer;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.tomcat.TomcatWebServerFactory;
import org.springframework.boot.util.LambdaSafe;
import org.springframework.boot.web.server.Ssl;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.WebServerSslBundle;

/**
 * The promoted master's management port on Tomcat: a connector configured by the factory
 * that configured the private one.
 */
final class TomcatManagementPort implements ManagementPort {

	private static final Log logger = LogFactory.getLog(TomcatManagementPort.class);

	private final TomcatWebServerFactory factory;

	TomcatManagementPort(TomcatWebServerFactory factory) {
		this.factory = factory;
	}

	@Override
	public void open(WebServer webServer, String managementAddress, int managementPort) {
		if (webServer instanceof TomcatWebServer tomcat) {
			openManagementPort(tomcat, this.factory, managementAddress, managementPort);
		}
	}

	/** Adds a connector on the configured management port, then drops the private one. */
	private static void openManagementPort(TomcatWebServer webServer, TomcatWebServerFactory factory,
			String managementAddress, int managementPort) {
		Service service = webServer.getTomcat().getService();
		Connector[] connectors = service.findConnectors();
		Connector connector = new Connector(connectors[0].getProtocolHandlerClassName());
		connector.setPort(managementPort);
		connector.setProperty("address", managementAddress);
		try {
			configureAsTheFactoryDoes(connector, factory);
		}
		catch (RuntimeException ex) {
			// never fall back to a connector without the TLS the management server was configured with
			logger.error("Cannot configure the management port " + managementAddress + ":" + managementPort
					+ " as the management server is configured (" + ex.getMessage() + "); the endpoints stay on 127.0.0.1:"
					+ webServer.getPort());
			return;
		}
		try {
			service.addConnector(connector);
		}
		catch (IllegalArgumentException ex) {
			Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
			logger.error("Cannot open the management port " + managementAddress + ":" + managementPort + " ("
					+ cause.getMessage() + "); the endpoints stay on 127.0.0.1:" + webServer.getPort());
			return;
		}
		for (Connector old : connectors) {
			service.removeConnector(old);
		}
		logger.info("Management endpoints now on " + managementAddress + ":" + managementPort
				+ (connector.getSecure() ? " (TLS)" : ""));
	}

	/** The factory's threads, customizers and TLS, as it configured the private connector. */
	@SuppressWarnings("unchecked")
	private static void configureAsTheFactoryDoes(Connector connector, TomcatWebServerFactory factory) {
		if (factory == null) {
			throw new IllegalStateException("no Tomcat web server factory");
		}
		LambdaSafe.callbacks(TomcatProtocolHandlerCustomizer.class, factory.getProtocolHandlerCustomizers(),
				connector.getProtocolHandler())
			.invoke((customizer) -> customizer.customize(connector.getProtocolHandler()));
		Ssl ssl = factory.getSsl();
		if (Ssl.isEnabled(ssl)) {
			SslBundles bundles = factory.getSslBundles();
			SslConnectorCustomizer customizer = new SslConnectorCustomizer(logger, connector, ssl.getClientAuth());
			customizer.customize(WebServerSslBundle.get(ssl, bundles), serverNameBundles(ssl, bundles));
			// as the factory does: a bundle that is reloaded (new certificate) reaches this connector too
			if (ssl.getBundle() != null && bundles != null) {
				bundles.addBundleUpdateHandler(ssl.getBundle(), (bundle) -> customizer.update(null, bundle));
			}
			for (Ssl.ServerNameSslBundle named : ssl.getServerNameBundles()) {
				bundles.addBundleUpdateHandler(named.bundle(), (bundle) -> customizer.update(named.serverName(), bundle));
			}
		}
		factory.getConnectorCustomizers().forEach((customizer) -> customizer.customize(connector));
	}

	private static Map<String, SslBundle> serverNameBundles(Ssl ssl, SslBundles bundles) {
		Map<String, SslBundle> byServerName = new LinkedHashMap<>();
		for (Ssl.ServerNameSslBundle named : ssl.getServerNameBundles()) {
			byServerName.put(named.serverName(), bundles.getBundle(named.bundle()));
		}
		return byServerName;
	}

}
