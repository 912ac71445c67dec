package dev.prefork.os;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.prefork.protocol.ChannelProtocol;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a worker may send on its channel, over a real pipe: frames and lines as the protocol
 * says, and frames or lines that no prefork worker sends, which break the channel.
 */
class MasterChannelTests {

	private final int[] fromWorker = pipe();

	private final List<String> lines = new CopyOnWriteArrayList<>();

	private final List<String> frames = new CopyOnWriteArrayList<>();

	private final CompletableFuture<String> broken = new CompletableFuture<>();

	private final CompletableFuture<Void> done = new CompletableFuture<>();

	private static int[] pipe() {
		try {
			return NativeWorkerLauncher.pipe();
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	@AfterEach
	void closeWorkerEnd() {
		Native.closeQuietly(this.fromWorker[1]);
	}

	private void startReading() {
		MasterChannel channel = new MasterChannel(this.fromWorker[0], -1);
		Thread reader = new Thread(() -> {
			channel.read(this.lines::add,
					(header, payload) -> this.frames.add(header + "|" + new String(payload, StandardCharsets.UTF_8)),
					this.broken::complete);
			this.done.complete(null);
		}, "test-channel-reader");
		reader.setDaemon(true);
		reader.start();
	}

	private void send(String bytes) {
		byte[] data = bytes.getBytes(StandardCharsets.UTF_8);
		assertThat(Native.posix().write(this.fromWorker[1], data, data.length)).isEqualTo(data.length);
	}

	@Test
	void linesAndFramesAsTheProtocolSays() throws Exception {
		startReading();
		send("READY\nANSWER 1 5\nup 1\nHEARTBEAT 3 0\nANSWER 2 0\n");
		send("ANSWER 3 4\nab");
		send("cd");
		Native.closeQuietly(this.fromWorker[1]);
		this.done.get(10, TimeUnit.SECONDS);
		assertThat(this.lines).containsExactly("READY", "HEARTBEAT 3 0");
		assertThat(this.frames).containsExactly("ANSWER 1 5|up 1\n", "ANSWER 2 0|", "ANSWER 3 4|abcd");
		assertThat(this.broken).isNotDone();
	}

	@Test
	void negativeFrameLengthBreaksTheChannel() throws Exception {
		startReading();
		send("READY\nANSWER 1 -5\nHEARTBEAT 1 0\n");
		assertThat(this.broken.get(10, TimeUnit.SECONDS))
			.isEqualTo("an ANSWER frame whose length is not 0 to 67108864 bytes: ANSWER 1 -5");
		this.done.get(10, TimeUnit.SECONDS);
		assertThat(this.lines).containsExactly("READY");
	}

	@Test
	void hugeFrameLengthBreaksTheChannelBeforeAnythingIsBuffered() throws Exception {
		startReading();
		send("ANSWER 1 99999999999\n");
		assertThat(this.broken.get(10, TimeUnit.SECONDS)).contains("ANSWER 1 99999999999");
		this.done.get(10, TimeUnit.SECONDS);
		assertThat(this.frames).isEmpty();
		assertThat(MasterChannel.frameLength("ANSWER 1 67108864")).isEqualTo(MasterChannel.MAX_FRAME_BYTES);
		assertThat(MasterChannel.frameLength("ANSWER 1 67108865")).isEqualTo(-1);
		assertThat(MasterChannel.frameLength("ANSWER 1 x")).isEqualTo(-1);
	}

	@Test
	void endlessLineBreaksTheChannel() throws Exception {
		startReading();
		send("x".repeat(MasterChannel.MAX_LINE_BYTES));
		send("y");
		assertThat(this.broken.get(10, TimeUnit.SECONDS)).isEqualTo("a line longer than 65536 bytes");
		this.done.get(10, TimeUnit.SECONDS);
	}

	@Test
	void aLineOfExactlyTheLimitPasses() throws Exception {
		startReading();
		send("x".repeat(MasterChannel.MAX_LINE_BYTES) + "\nREADY\n");
		Native.closeQuietly(this.fromWorker[1]);
		this.done.get(10, TimeUnit.SECONDS);
		assertThat(this.broken).isNotDone();
		assertThat(this.lines).hasSize(2);
		assertThat(this.lines.get(0)).hasSize(MasterChannel.MAX_LINE_BYTES);
		assertThat(this.lines.get(1)).isEqualTo("READY");
	}

	@Test
	void controlCharactersNeverReachTheLog() {
		assertThat(ChannelProtocol.printable("COMMAND x\r\n2026-01-01 INFO forged\u001b[2J\u202e"))
			.isEqualTo("COMMAND x\\x0d\\x0a2026-01-01 INFO forged\\x1b[2J\\x202e");
		assertThat(ChannelProtocol.printable("y".repeat(500))).hasSize(203);
	}

	@Test
	void rateLimitAllowsABurstPerWindow() {
		RateLimit limit = new RateLimit(3, java.time.Duration.ofHours(1));
		assertThat(List.of(limit.tryAcquire(), limit.tryAcquire(), limit.tryAcquire(), limit.tryAcquire()))
			.containsExactly(true, true, true, false);
	}

}
