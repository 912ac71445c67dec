package dev.prefork.master;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Every door of every command: the name (HTTP, command line, application), the FIFO character
 * and the signal all find the command, and what it creates reaches the handler it should.
 */
class ControlCommandTests {

	@Test
	void everyDoorOfEveryCommandLeadsToItsHandler() {
		for (ControlCommand command : ControlCommand.values()) {
			assertThat(ControlCommand.ofName(command.commandName())).contains(command);
			command.signal().ifPresent((signal) -> assertThat(ControlCommand.ofSignal(signal)).contains(command));
			// scale, the one command only HTTP gives, always comes with a count
			Map<String, String> fields = (command == ControlCommand.SCALE) ? Map.of("delta", "1") : Map.of();
			for (Source source : Source.values()) {
				Command.Control created = command.create(fields, source, Reply.NONE);
				assertThat(created.source()).isEqualTo(source);
				assertThat(handled(created)).as(command.commandName()).isEqualTo(expectedHandler(command));
			}
		}
		for (char character : ControlCommand.characters().replace(" ", "").toCharArray()) {
			assertThat(ControlCommand.ofCharacter(character)).isPresent();
		}
	}

	@Test
	void eachDoorKnowsTheSameCommandsAsBefore() {
		assertThat(ControlCommand.characters()).isEqualTo("r q Q + - l u");
		assertThat(ControlCommand.signals()).containsExactly("HUP", "TERM", "INT", "TTIN", "TTOU", "USR1", "USR2", "WINCH");
		assertThat(ControlCommand.signalledNames())
			.isEqualTo("reload, stop, quick-stop, scale-up, scale-down, reopen-logs, upgrade, stop-workers");
		assertThat(List.of("reload", "scale-up", "scale-down", "reopen-logs", "upgrade"))
			.allSatisfy((name) -> assertThat(ControlCommand.fromApplication(name)).isPresent());
		assertThat(List.of("stop", "quick-stop", "scale", "stop-workers", "frobnicate"))
			.as("application code cannot stop the master or its workers")
			.allSatisfy((name) -> assertThat(ControlCommand.fromApplication(name)).isEmpty());
		assertThat(ControlCommand.ofCharacter('x')).isEmpty();
		assertThat(ControlCommand.ofCharacter('\0')).isEmpty();
		assertThat(ControlCommand.ofSignal("PIPE")).isEmpty();
	}

	@Test
	void configurationMetadataOffersEverySignalledCommand() throws Exception {
		String metadata = new String(getClass().getResourceAsStream("/META-INF/additional-spring-configuration-metadata.json")
			.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
		List<String> offered = java.util.regex.Pattern.compile("\"value\": \"([a-z-]+)\"")
			.matcher(metadata)
			.results()
			.map((match) -> match.group(1))
			.toList();
		assertThat(String.join(", ", offered)).isEqualTo(ControlCommand.signalledNames());
	}

	@Test
	void httpFieldsBecomeTheCommandsArguments() {
		Command.Reload reload = (Command.Reload) ControlCommand.RELOAD.create(Map.of("strategy", "all-at-once"),
				Source.HTTP, Reply.NONE);
		assertThat(reload.strategy()).isEqualTo(ReloadStrategy.ALL_AT_ONCE);
		Command.Scale absolute = (Command.Scale) ControlCommand.SCALE.create(Map.of("workers", "4"), Source.HTTP,
				Reply.NONE);
		assertThat(absolute.workers()).isEqualTo(4);
		Command.Scale delta = (Command.Scale) ControlCommand.SCALE.create(Map.of("delta", "-2"), Source.HTTP, Reply.NONE);
		assertThat(delta.workers()).isNull();
		assertThat(delta.delta()).isEqualTo(-2);
		Command.Stop quick = (Command.Stop) ControlCommand.STOP.create(Map.of("mode", "quick"), Source.HTTP, Reply.NONE);
		assertThat(quick.mode()).isEqualTo(StopMode.QUICK);
		assertThat(quick.name()).isEqualTo("quick-stop");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ControlCommand.RELOAD.create(Map.of("strategy", "sideways"), Source.HTTP, Reply.NONE))
			.withMessage("unknown strategy 'sideways'; use rolling or all-at-once");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ControlCommand.SCALE.create(Map.of(), Source.HTTP, Reply.NONE))
			.withMessage("give either {\"workers\":N} (absolute) or {\"delta\":±k}");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ControlCommand.STOP.create(Map.of("mode", "brutal"), Source.HTTP, Reply.NONE))
			.withMessage("unknown mode 'brutal'; use graceful or quick");
	}

	private static String expectedHandler(ControlCommand command) {
		return switch (command) {
			case RELOAD -> "reload";
			case STOP, QUICK_STOP -> "stop";
			case SCALE, SCALE_UP, SCALE_DOWN -> "scale";
			case REOPEN_LOGS -> "reopenLogs";
			case UPGRADE -> "upgrade";
			case STOP_WORKERS -> "stopWorkers";
		};
	}

	/** The name of the handler method the command reaches. */
	private static String handled(Command command) {
		List<String> calls = new ArrayList<>();
		command.dispatchTo(new Command.Handler() {

			@Override
			public void stop(Command.Stop stop) {
				calls.add("stop");
			}

			@Override
			public void reload(Command.Reload reload) {
				calls.add("reload");
			}

			@Override
			public void scale(Command.Scale scale) {
				calls.add("scale");
			}

			@Override
			public void reopenLogs(Command.ReopenLogs reopen) {
				calls.add("reopenLogs");
			}

			@Override
			public void upgrade(Command.Upgrade upgrade) {
				calls.add("upgrade");
			}

			@Override
			public void stopWorkers(Command.StopWorkers stopWorkers) {
				calls.add("stopWorkers");
			}

			@Override
			public void reloadLoaded(Command.ReloadLoaded loaded) {
				calls.add("reloadLoaded");
			}

			@Override
			public void upgradeReady(Command.UpgradeReady ready) {
				calls.add("upgradeReady");
			}

			@Override
			public void upgradeExited(Command.UpgradeExited exited) {
				calls.add("upgradeExited");
			}

			@Override
			public void promoted(Command.Promoted promoted) {
				calls.add("promoted");
			}

			@Override
			public void releaseEvents(Command.ReleaseEvents release) {
				calls.add("releaseEvents");
			}

			@Override
			public void workerWarming(Command.WorkerWarming warming) {
				calls.add("workerWarming");
			}

			@Override
			public void workerReady(Command.WorkerReady ready) {
				calls.add("workerReady");
			}

			@Override
			public void workerHeartbeat(Command.WorkerHeartbeat heartbeat) {
				calls.add("workerHeartbeat");
			}

			@Override
			public void workerExited(Command.WorkerExited exited) {
				calls.add("workerExited");
			}

		});
		assertThat(calls).hasSize(1);
		return calls.get(0);
	}

}
