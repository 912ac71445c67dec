package dev.prefork.worker.netty;

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.netty.channel.AbstractChannel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.ServerDomainSocketChannel;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.GlobalEventExecutor;
import reactor.netty.ConnectionObserver;
import reactor.netty.NettyPipeline;
import reactor.netty.resources.LoopResources;

import org.springframework.http.client.ReactorResourceFactory;

/**
 * A worker's Reactor Netty server on the master's socket (fd 0): its server channel is made
 * over the inherited socket instead of a new one, its bind is a no-op, and it accepts
 * nothing until {@link #startAccepting()}. Every connection it accepts is tracked, so that a
 * drain can have each close after its next response.
 *
 * <p>
 * Reactor Netty creates the server channel through the {@link LoopResources} of the
 * server's {@link ReactorResourceFactory}: this class wraps the application's, so its event
 * loops, native transport (epoll) or NIO, and their settings stay the application's. A Unix
 * domain socket ({@code prefork.unix-socket.path}) is served on epoll only.
 */
final class SharedSocket {

	/** The master's listening socket is the worker's fd 0. */
	private static final int LISTEN_FD = 0;

	private final ChannelGroup connections = new DefaultChannelGroup("prefork-connections",
			GlobalEventExecutor.INSTANCE);

	private final ChannelHandler draining = new DrainingHandler();

	private final CountDownLatch opened = new CountDownLatch(1);

	private volatile Channel serverChannel;

	private volatile EventLoopGroup requestLoops;

	private volatile boolean drain;

	/**
	 * The resource factory the application's server runs on, with the server channel made over
	 * the shared socket.
	 * @param application the application's factory, or {@code null} for Reactor Netty's global resources
	 */
	ReactorResourceFactory resourceFactory(ReactorResourceFactory application) {
		return new ReactorResourceFactory() {

			private volatile LoopResources loops;

			@Override
			public LoopResources getLoopResources() {
				if (this.loops == null) {
					LoopResources own = (application != null) ? application.getLoopResources()
							: reactor.netty.http.HttpResources.get();
					this.loops = new Loops(own);
				}
				return this.loops;
			}

		};
	}

	/** Reactor Netty's observer of every new connection: tracked, and closed after its next response once draining. */
	void onConnection(ConnectionObserver observer, Channel channel, SocketAddress remote) {
		this.connections.add(channel);
		if (channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
			channel.pipeline().addAfter(NettyPipeline.HttpCodec, "prefork.draining", this.draining);
		}
	}

	/** Takes connections from the shared socket from now on. */
	void startAccepting() {
		Channel channel = awaitServerChannel();
		if (channel != null) {
			channel.config().setAutoRead(true);
		}
	}

	/**
	 * Stops taking connections, has every connection close after its next response, and
	 * waits for them to close.
	 * @return the connections still open
	 */
	int drain(Duration max) {
		Channel channel = this.serverChannel;
		if (channel != null) {
			channel.config().setAutoRead(false);
		}
		this.drain = true;
		long deadline = System.nanoTime() + max.toNanos();
		while (!this.connections.isEmpty() && System.nanoTime() < deadline) {
			try {
				Thread.sleep(10);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
		}
		return this.connections.size();
	}

	/** The event loops that serve the connections, or {@code null} before the server started. */
	EventLoopGroup requestLoops() {
		return this.requestLoops;
	}

	private Channel awaitServerChannel() {
		try {
			this.opened.await(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		return this.serverChannel;
	}

	/**
	 * The path of the master's socket when it is a Unix domain socket, else null: then the
	 * server is told to bind that path, so that Reactor Netty asks for a domain-socket server
	 * channel and sets no TCP option on the connections.
	 */
	static String unixSocketPath() {
		try {
			return (System.inheritedChannel() instanceof ServerSocketChannel server
					&& server.getLocalAddress() instanceof UnixDomainSocketAddress unix) ? unix.getPath().toString() : null;
		}
		catch (IOException ex) {
			return null;
		}
	}

	/**
	 * Netty learns a domain-socket server channel's address only from its own bind, which the
	 * master did: without it the channel reports none, and the server fails to start. The
	 * address is put where {@link Channel#localAddress()} caches it, not where the channel
	 * keeps what it bound itself: a channel that bound its path deletes the file when it
	 * closes, and this file is the master's.
	 */
	private static void boundTo(Channel channel, String path) {
		try {
			Field cached = AbstractChannel.class.getDeclaredField("localAddress");
			cached.setAccessible(true);
			cached.set(channel, new DomainSocketAddress(path));
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			throw new IllegalStateException("prefork cannot give Netty's " + channel.getClass().getName() + " its address "
					+ path + " (this Netty version caches it elsewhere): " + ex, ex);
		}
	}

	/** The server channel over the inherited socket, of the transport the event loops use. */
	private Channel openServerChannel(Class<? extends Channel> kind) {
		Channel channel;
		try {
			if (unixSocketPath() != null) {
				if (!kind.getName().equals("io.netty.channel.epoll.EpollServerDomainSocketChannel")) {
					throw new IllegalStateException("prefork serves a Unix domain socket with Reactor Netty's native "
							+ "epoll transport only, not with " + kind.getName() + ": add io.netty:netty-transport-native-epoll "
							+ "(classifier linux-x86_64 or linux-aarch_64) and leave reactor.netty.native unset, or serve TCP");
				}
				((ServerSocketChannel) System.inheritedChannel()).configureBlocking(false);
				// Active: it listens already (else the server's graceful shutdown skips it).
				channel = new EpollServerDomainSocketChannel(LISTEN_FD, true);
				boundTo(channel, unixSocketPath());
			}
			else if (kind.getName().equals("io.netty.channel.epoll.EpollServerSocketChannel")) {
				// The socket's file description is shared with the other workers: it must never block an event loop.
				((ServerSocketChannel) System.inheritedChannel()).configureBlocking(false);
				channel = new EpollServerSocketChannel(LISTEN_FD);
			}
			else if (NioServerSocketChannel.class.isAssignableFrom(kind)) {
				channel = new NioServerSocketChannel((ServerSocketChannel) System.inheritedChannel());
			}
			else {
				throw new IllegalStateException("prefork cannot serve the shared socket with Netty's " + kind.getName()
						+ "; use the epoll or NIO transport");
			}
		}
		catch (IOException | ClassCastException ex) {
			throw new IllegalStateException("This worker has no listening socket on fd 0: " + ex, ex);
		}
		channel.config().setAutoRead(false);
		channel.pipeline().addFirst(new AlreadyBound());
		this.serverChannel = channel;
		this.opened.countDown();
		return channel;
	}

	/** The application's loop resources, but the server channel is the shared socket. */
	private final class Loops implements LoopResources {

		private final LoopResources delegate;

		Loops(LoopResources delegate) {
			this.delegate = delegate;
		}

		@Override
		public EventLoopGroup onServer(boolean useNative) {
			EventLoopGroup group = this.delegate.onServer(useNative);
			SharedSocket.this.requestLoops = group;
			return group;
		}

		@Override
		public EventLoopGroup onServerSelect(boolean useNative) {
			return this.delegate.onServerSelect(useNative);
		}

		@Override
		public EventLoopGroup onClient(boolean useNative) {
			return this.delegate.onClient(useNative);
		}

		@Override
		@SuppressWarnings("unchecked")
		public <C extends Channel> C onChannel(Class<C> channelType, EventLoopGroup group) {
			if (ServerDomainSocketChannel.class.isAssignableFrom(channelType)) {
				// Reactor Netty names the class of a domain-socket channel only by making one.
				Channel made = this.delegate.onChannel(channelType, group);
				made.unsafe().closeForcibly();
				return (C) openServerChannel(made.getClass());
			}
			if (ServerChannel.class.isAssignableFrom(channelType)) {
				return (C) openServerChannel(this.delegate.onChannelClass(channelType, group));
			}
			return this.delegate.onChannel(channelType, group);
		}

		@Override
		public <C extends Channel> Class<? extends C> onChannelClass(Class<C> channelType, EventLoopGroup group) {
			return this.delegate.onChannelClass(channelType, group);
		}

		@Override
		public boolean daemon() {
			return this.delegate.daemon();
		}

		@Override
		public void dispose() {
			this.delegate.dispose();
		}

		@Override
		public boolean isDisposed() {
			return this.delegate.isDisposed();
		}

		@Override
		public reactor.core.publisher.Mono<Void> disposeLater() {
			return this.delegate.disposeLater();
		}

		@Override
		public reactor.core.publisher.Mono<Void> disposeLater(Duration quietPeriod, Duration timeout) {
			return this.delegate.disposeLater(quietPeriod, timeout);
		}

	}

	/** The master bound the socket: the server's own bind succeeds without doing anything. */
	@ChannelHandler.Sharable
	private static final class AlreadyBound extends ChannelOutboundHandlerAdapter {

		@Override
		public void bind(ChannelHandlerContext context, SocketAddress local, ChannelPromise promise) {
			promise.setSuccess();
		}

	}

	/**
	 * Once draining, every response says {@code Connection: close} and its connection closes
	 * once it is written, so clients move to other workers between requests.
	 */
	@ChannelHandler.Sharable
	private final class DrainingHandler extends ChannelDuplexHandler {

		@Override
		public void write(ChannelHandlerContext context, Object message, ChannelPromise promise) throws Exception {
			if (!SharedSocket.this.drain) {
				context.write(message, promise);
				return;
			}
			if (message instanceof HttpResponse response) {
				HttpUtil.setKeepAlive(response, false);
			}
			if (message instanceof LastHttpContent) {
				ChannelPromise written = promise.unvoid();
				context.write(message, written);
				written.addListener((future) -> context.channel().close());
				return;
			}
			context.write(message, promise);
		}

	}

}
