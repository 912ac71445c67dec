package dev.prefork.autoconfigure;

import java.io.IOException;

import dev.prefork.master.Command;
import dev.prefork.master.Master;
import dev.prefork.os.UpgradeHandoff;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;

/**
 * In the new master of an upgrade: waits for the old master to exit, then takes over what
 * it held: {@code <pidfile>} and the management port. Until then this master serves its
 * management endpoints on a private loopback port and is steered by signals. The management
 * port it opens then ({@link ManagementPort}, the web stack's) is configured as the private one
 * was, by the same factory (TLS, client authentication, customizers), so it serves exactly what
 * the old master served.
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
		ManagementPort port = context.getBeanProvider(ManagementPort.class).getIfAvailable();
		Thread watcher = new Thread(() -> watch(webServer, port), "prefork-promotion");
		watcher.setDaemon(true);
		watcher.start();
	}

	private void watch(WebServer webServer, ManagementPort port) {
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
		if (webServer != null && port != null && this.managementPort >= 0) {
			port.open(webServer, this.managementAddress, this.managementPort);
		}
		this.master.submit(new Command.Promoted(this.handoff.oldMasterPid()));
	}

}
