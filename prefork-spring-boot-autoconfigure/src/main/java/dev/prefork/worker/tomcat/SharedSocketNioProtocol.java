package dev.prefork.worker.tomcat;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

import org.apache.coyote.http11.Http11NioProtocol;
import org.apache.tomcat.util.net.NioEndpoint;

/**
 * Tomcat's NIO HTTP/1.1 protocol for a listening socket that other processes share.
 *
 * <p>
 * Stock Tomcat blocks its acceptor in {@code accept()} and, to stop, connects to its own
 * address to wake it up ({@code unlockAccept}). On a shared socket that wake-up connection
 * may land in another worker, and the stopping worker's acceptor may then accept a real
 * client's connection and drop it. Here the acceptor waits for the socket to be readable
 * (100 ms at a time) and only then accepts, without blocking; it never accepts once the
 * worker is retiring or paused, so no wake-up connection is needed and none is made. It
 * accepts nothing before {@link #startAccepting()}: a worker takes clients once it is warm.
 *
 * <p>
 * When the master's socket is a Unix domain socket ({@code prefork.unix-socket.path}),
 * Tomcat is told its path, so that it sets no TCP option on the connections it accepts and
 * reports them as local; it never removes the socket's file, which is the master's.
 */
public class SharedSocketNioProtocol extends Http11NioProtocol {

	public SharedSocketNioProtocol() {
		super(new SharedSocketEndpoint());
	}

	/**
	 * Stops taking connections from the shared queue; the other workers take them. Returns
	 * once the acceptor has handed Tomcat its last connection (or after a second): from then
	 * on every connection this worker took is counted in {@link #getConnectionCount()}.
	 * Otherwise a connection accepted during the acceptor's last wait could reach Tomcat after
	 * the graceful shutdown paused it, and Tomcat would close it unanswered.
	 */
	public void stopAccepting() {
		SharedSocketEndpoint endpoint = (SharedSocketEndpoint) getEndpoint();
		endpoint.retiring = true;
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
		while (!endpoint.parked && endpoint.isRunning() && System.nanoTime() < deadline) {
			try {
				Thread.sleep(5);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

	/**
	 * Starts taking connections from the shared socket: until then (the worker's warm-up) the
	 * acceptor holds back, and the other workers take them.
	 */
	public void startAccepting() {
		((SharedSocketEndpoint) getEndpoint()).holding = false;
	}

	static final class SharedSocketEndpoint extends NioEndpoint {

		private static final long WAIT_MILLIS = 100;

		volatile boolean retiring;

		/** Set until the worker is warm: nothing is accepted yet. */
		volatile boolean holding = true;

		/** Set by the acceptor once it saw {@link #retiring}: it accepts nothing more. */
		volatile boolean parked;

		private Selector selector;

		SharedSocketEndpoint() {
			try {
				if (System.inheritedChannel() instanceof ServerSocketChannel server
						&& server.getLocalAddress() instanceof UnixDomainSocketAddress unix) {
					setUnixDomainSocketPath(unix.getPath().toString());
				}
			}
			catch (IOException ex) {
				// Not a socket: the worker refuses to start with its own message.
			}
		}

		@Override
		protected void doCloseServerSocket() throws IOException {
			if (getUnixDomainSocketPath() == null) {
				super.doCloseServerSocket();
			}
			// Else stock Tomcat would delete the socket's file: the master's, which other workers serve.
		}

		@Override
		protected SocketChannel serverSocketAccept() throws Exception {
			ServerSocketChannel server = sharedSocket();
			while (isRunning()) {
				if (this.retiring || this.holding || isPaused()) {
					this.parked = this.retiring;
					Thread.sleep(WAIT_MILLIS);
				}
				else if (selector(server).select(WAIT_MILLIS) > 0) {
					this.selector.selectedKeys().clear();
					// Another worker may have taken the connection: then there is none.
					SocketChannel accepted = server.accept();
					if (accepted != null) {
						accepted.configureBlocking(true);
						return accepted;
					}
				}
			}
			closeSelector();
			// The acceptor ends quietly when it gets an exception once the endpoint is stopped.
			throw new ClosedChannelException();
		}

		@Override
		protected void unlockAccept() {
			// Never connect to the shared socket: the acceptor wakes up by itself.
		}

		private static ServerSocketChannel sharedSocket() throws IOException {
			Channel inherited = System.inheritedChannel();
			if (inherited instanceof ServerSocketChannel server) {
				return server;
			}
			throw new IOException("No listening socket inherited on fd 0");
		}

		private Selector selector(ServerSocketChannel server) throws IOException {
			if (this.selector == null) {
				server.configureBlocking(false);
				this.selector = Selector.open();
				server.register(this.selector, SelectionKey.OP_ACCEPT);
			}
			return this.selector;
		}

		private void closeSelector() throws IOException {
			if (this.selector != null) {
				this.selector.close();
				this.selector = null;
			}
		}

	}

}
