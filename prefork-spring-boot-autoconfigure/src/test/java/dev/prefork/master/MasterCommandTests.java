package dev.prefork.master;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Commands with a reply, as the HTTP endpoint sends them: accepted, or refused with nothing
 * changed.
 */
class MasterCommandTests {

	private final FakeLauncher launcher = new FakeLauncher();

	private final MasterSettings settings = MasterSettings.of(2, Duration.ofSeconds(30), Duration.ofSeconds(10),
			Duration.ofSeconds(60));

	private final Master master = new Master(this.settings, this.launcher, () -> this.settings, () -> {
	}, System::currentTimeMillis, 42).readingSettingsOn(Runnable::run);

	private final List<Reply.Outcome> replies = new ArrayList<>();

	@Test
	void reloadWithAReplyIsRefusedWhileAReloadRunsButASignalIsQueued() throws Exception {
		startAllReady();
		submit(new Command.Reload(null, Source.HTTP, this.replies::add));
		assertThat(this.replies).last().extracting(Reply.Outcome::result).isEqualTo(Reply.Result.ACCEPTED);
		assertThat(this.replies.get(0).message()).isEqualTo("reload starting generation 2 with 2 workers, rolling");
		submit(new Command.Reload(null, Source.HTTP, this.replies::add));
		assertThat(this.replies).last().extracting(Reply.Outcome::result).isEqualTo(Reply.Result.CONFLICT);
		assertThat(this.replies.get(1).message()).startsWith("a reload to generation 2 is running");
		submit(new Command.Reload(null, Source.SIGNAL));
		assertThat(this.master.status().generation()).isEqualTo(2);
	}

	@Test
	void scaleOutOfRangeIsRefusedAndChangesNothing() throws Exception {
		startAllReady();
		submit(new Command.Scale(0, 0, Source.HTTP, this.replies::add));
		submit(new Command.Scale(65, 0, Source.HTTP, this.replies::add));
		submit(new Command.Scale(null, -2, Source.HTTP, this.replies::add));
		assertThat(this.replies).extracting(Reply.Outcome::result).containsOnly(Reply.Result.INVALID);
		assertThat(this.replies.get(0).message())
			.isEqualTo("cannot scale to 0 workers: the range is 1 to 64 (prefork.max-workers); still 2");
		assertThat(this.master.status().targetWorkers()).isEqualTo(2);
		assertThat(this.launcher.launched).hasSize(2).allSatisfy((worker) -> assertThat(worker.signals).isEmpty());
	}

	@Test
	void scaleToAnAbsoluteCount() throws Exception {
		startAllReady();
		submit(new Command.Scale(4, 0, Source.HTTP, this.replies::add));
		assertThat(this.replies).singleElement().isEqualTo(Reply.Outcome.accepted("scaling from 2 to 4 workers"));
		assertThat(this.launcher.launched).hasSize(4);
	}

	@Test
	void secondGracefulStopIsAConflict() throws Exception {
		startAllReady();
		submit(new Command.Stop(StopMode.GRACEFUL, Source.HTTP, this.replies::add));
		submit(new Command.Stop(StopMode.GRACEFUL, Source.HTTP, this.replies::add));
		assertThat(this.replies).extracting(Reply.Outcome::result)
			.containsExactly(Reply.Result.ACCEPTED, Reply.Result.CONFLICT);
	}

	@Test
	void upgradeWithoutALauncherIsAConflict() throws Exception {
		startAllReady();
		submit(new Command.Upgrade(Source.HTTP, this.replies::add));
		assertThat(this.replies).singleElement()
			.isEqualTo(Reply.Outcome.conflict("this master cannot start a new master"));
	}

	private void startAllReady() throws Exception {
		this.master.turn(0);
		this.launcher.launched.forEach((process) -> this.master.submit(new Command.WorkerReady(process.spec.id())));
		this.master.turn(0);
	}

	private void submit(Command command) throws Exception {
		this.master.submit(command);
		this.master.turn(0);
	}

}
