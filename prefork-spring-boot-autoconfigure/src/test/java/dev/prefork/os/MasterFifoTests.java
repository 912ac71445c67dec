package dev.prefork.os;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.prefork.master.Command;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Noise on a real master FIFO: commands still pass, and the log gets a few summarising
 * warnings instead of one a byte.
 */
@ExtendWith(OutputCaptureExtension.class)
class MasterFifoTests {

	private static final Pattern IGNORED = Pattern.compile("Master FIFO \\S+: ignored (\\d+) unknown command byte");

	@TempDir
	Path directory;

	private final List<Command> commands = new CopyOnWriteArrayList<>();

	@Test
	void aBurstOfUnknownBytesIsOneWarningWithItsCount(CapturedOutput output) throws Exception {
		Path path = this.directory.resolve("master.fifo");
		try (MasterFifo fifo = MasterFifo.open(path, this.commands::add)) {
			byte[] noise = new byte[5001];
			Arrays.fill(noise, 0, 2500, (byte) 'z');
			Arrays.fill(noise, 2500, 5000, (byte) 0xfe);
			noise[5000] = '+';
			Files.write(path, noise);
			awaitCommands(1);
			long deadline = System.nanoTime() + 10_000_000_000L;
			while (ignored(output).stream().mapToLong(Long::longValue).sum() < 5000) {
				assertThat(System.nanoTime()).as("warnings counting 5000 bytes:\n" + output).isLessThan(deadline);
				Thread.sleep(10);
			}
			// One write: one read of the pipe, two if the reader woke in the middle of it.
			assertThat(ignored(output)).hasSizeBetween(1, 2);
			assertThat(output.toString()).contains("ignored " + ignored(output).get(0) + " unknown command bytes (the first 'z')");
		}
	}

	@Test
	void aFloodOfBurstsIsRateLimited(CapturedOutput output) throws Exception {
		Path path = this.directory.resolve("master.fifo");
		try (MasterFifo fifo = MasterFifo.open(path, this.commands::add)) {
			for (int burst = 1; burst <= 3 * MasterFifo.WARNINGS_PER_MINUTE; burst++) {
				// Smaller than PIPE_BUF: written at once, read at once.
				Files.writeString(path, "z".repeat(100) + "+");
				awaitCommands(burst);
			}
			long deadline = System.nanoTime() + 10_000_000_000L;
			while (ignored(output).size() < MasterFifo.WARNINGS_PER_MINUTE) {
				assertThat(System.nanoTime()).as("warnings:\n" + output).isLessThan(deadline);
				Thread.sleep(10);
			}
			assertThat(ignored(output)).containsOnly(100L).hasSize(MasterFifo.WARNINGS_PER_MINUTE);
		}
	}

	private static List<Long> ignored(CapturedOutput output) {
		Matcher matcher = IGNORED.matcher(output.toString());
		List<Long> counts = new ArrayList<>();
		while (matcher.find()) {
			counts.add(Long.parseLong(matcher.group(1)));
		}
		return counts;
	}

	private void awaitCommands(int count) throws InterruptedException {
		long deadline = System.nanoTime() + 10_000_000_000L;
		while (this.commands.size() < count) {
			assertThat(System.nanoTime()).as("commands read from the FIFO").isLessThan(deadline);
			Thread.sleep(10);
		}
	}

}
