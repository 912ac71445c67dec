package dev.prefork.worker.jetty;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import dev.prefork.worker.WorkerServer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * In front of the application in a worker's Jetty: once draining, every response says
 * {@code Connection: close}, so that clients move to other workers between requests; on the
 * warm-up's private connector, only requests with its key pass, marked with
 * {@link WorkerServer#WARMUP_ATTRIBUTE} (neither counted nor recorded), the others get 403.
 */
final class WorkerHandler extends Handler.Wrapper {

	private volatile boolean draining;

	private volatile Connector warmupConnector;

	private volatile byte[] warmupKey;

	WorkerHandler(Handler application) {
		super(application);
	}

	void drain() {
		this.draining = true;
	}

	void warmUpThrough(Connector connector, String key) {
		this.warmupKey = key.getBytes(StandardCharsets.US_ASCII);
		this.warmupConnector = connector;
	}

	void warmupEnded() {
		this.warmupConnector = null;
	}

	@Override
	public boolean handle(Request request, Response response, Callback callback) throws Exception {
		Connector warmup = this.warmupConnector;
		if (warmup != null && request.getConnectionMetaData().getConnector() == warmup) {
			String key = request.getHeaders().get(PrivateConnector.KEY_HEADER);
			if (key == null || !MessageDigest.isEqual(this.warmupKey, key.getBytes(StandardCharsets.US_ASCII))) {
				Response.writeError(request, response, callback, 403);
				return true;
			}
			request.setAttribute(WorkerServer.WARMUP_ATTRIBUTE, Boolean.TRUE);
		}
		if (this.draining) {
			response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
		}
		return super.handle(request, response, callback);
	}

}
