package dev.prefork.autoconfigure;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.prefork.master.Command;
import dev.prefork.master.Master;
import dev.prefork.os.UpgradeHandoff;
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
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;

/**
 * In the new master of an upgrade: waits for the old master to exit, then takes over what
 * it held: {@code <pidfile>} and the management port. Until then this master serves its
 * management endpoints on a private loopback port and is steered by signals. The management
 * port it opens then is configured as the private one was, by the same factory (TLS, client
 * authentication, connector customizers), so it serves exactly what the old master served.
 */
final class UpgradePromotion {

	private static final Log logger = LogFactory.getLog(UpgradePromotion.class);

	private static final long POLL_MILLIS = 200;

	private final UpgradeHandoff handoff;

	private final Master master;

	private final PreforkMasterConfiguration.PidfileHolder pidfile;

	private final String managementAddress;

	private final int managementPort;

	/**
	 * @param handoff what the old master handed over, or {@code null} for an ordinary start
	 * @param managementAddress the configured management address
	 * @param managementPort the configured management port, negative for none
	 */
	UpgradePromotion(UpgradeHandoff handoff, Master master, PreforkMasterConfiguration.PidfileHolder pidfile,
			String managementAddress, int managementPort) {
		this.handoff = handoff;
		this.master = master;
		this.pidfile = pidfile;
		this.managementAddress = managementAddress;
		this.managementPort = managementPort;
	}

	/** Starts watching for the old master's exit, if this master is the new master of an upgrade. */
	void start(ApplicationContext context) {
		if (this.handoff == null) {
			return;
		}
		WebServer webServer = (context instanceof WebServerApplicationContext web) ? web.getWebServer() : null;
		if (webServer != null) {
			logger.info("Management endpoints on 127.0.0.1:" + webServer.getPort() + " until this master is promoted");
		}
		TomcatWebServerFactory factory = context.getBeanProvider(TomcatWebServerFactory.class).getIfAvailable();
		Thread watcher = new Thread(() -> watch(webServer, factory), "prefork-promotion");
		watcher.setDaemon(true);
		watcher.start();
	}

	private void watch(WebServer webServer, TomcatWebServerFactory factory) {
		try {
			while (!this.handoff.oldMasterGone()) {
				Thread.sleep(POLL_MILLIS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return;
		}
		try {
			this.pidfile.promote();
		}
		catch (IOException ex) {
			logger.error("Cannot take over the pidfile: " + ex.getMessage());
		}
		if (webServer instanceof TomcatWebServer tomcat && this.managementPort >= 0) {
			openManagementPort(tomcat, factory);
		}
		this.master.submit(new Command.Promoted(this.handoff.oldMasterPid()));
	}

	/** Adds a connector on the configured management port, then drops the private one. */
	private void openManagementPort(TomcatWebServer webServer, TomcatWebServerFactory factory) {
		Service service = webServer.getTomcat().getService();
		Connector[] connectors = service.findConnectors();
		Connector connector = new Connector(connectors[0].getProtocolHandlerClassName());
		connector.setPort(this.managementPort);
		connector.setProperty("address", this.managementAddress);
		try {
			configureAsTheFactoryDoes(connector, factory);
		}
		catch (RuntimeException ex) {
			// never fall back to a connector without the TLS the management server was configured with
			logger.error("Cannot configure the management port " + this.managementAddress + ":" + this.managementPort
					+ " as the management server is configured (" + ex.getMessage() + "); the endpoints stay on 127.0.0.1:"
					+ webServer.getPort());
			return;
		}
		try {
			service.addConnector(connector);
		}
		catch (IllegalArgumentException ex) {
			Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
			logger.error("Cannot open the management port " + this.managementAddress + ":" + this.managementPort + " ("
					+ cause.getMessage() + "); the endpoints stay on 127.0.0.1:" + webServer.getPort());
			return;
		}
		for (Connector old : connectors) {
			service.removeConnector(old);
		}
		logger.info("Management endpoints now on " + this.managementAddress + ":" + this.managementPort
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
