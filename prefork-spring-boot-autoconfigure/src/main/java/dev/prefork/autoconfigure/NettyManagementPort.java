package dev.prefork.autoconfigure;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServer;
import org.springframework.http.server.reactive.HttpHandler;

/**
 * The promoted master's management port on Reactor Netty: a second server made by the factory
 * that made the private one (TLS, customizers), serving the same handler; the private one then
 * stops. The second server stops with the master's context.
 */
final class NettyManagementPort implements ManagementPort, DisposableBean {

	private static final Log logger = LogFactory.getLog(NettyManagementPort.class);

	private final NettyReactiveWebServerFactory factory;

	private final Supplier<HttpHandler> handler;

	private volatile WebServer promoted;

	NettyManagementPort(NettyReactiveWebServerFactory factory, Supplier<HttpHandler> handler) {
		this.factory = factory;
		this.handler = handler;
	}

	@Override
	public void open(WebServer webServer, String address, int port) {
		WebServer server;
		try {
			this.factory.setAddress(InetAddress.getByName(address));
			this.factory.setPort(port);
			server = this.factory.getWebServer(this.handler.get());
			server.start();
		}
		catch (UnknownHostException | RuntimeException ex) {
			logger.error("Cannot open the management port " + address + ":" + port + " (" + ex.getMessage()
					+ "); the endpoints stay on 127.0.0.1:" + webServer.getPort());
			return;
		}
		this.promoted = server;
		webServer.stop();
		logger.info("Management endpoints now on " + address + ":" + port
				+ ((this.factory.getSsl() != null && this.factory.getSsl().isEnabled()) ? " (TLS)" : ""));
	}

	@Override
	public void destroy() {
		WebServer server = this.promoted;
		if (server != null) {
			server.stop();
		}
	}

}
