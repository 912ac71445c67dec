package dev.prefork.autoconfigure;

import java.nio.charset.StandardCharsets;

import dev.prefork.master.ControlCommand;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PreforkControlFilterTests {

	@Test
	void acceptsTheFieldsOfEachCommand() {
		assertThat(problem(ControlCommand.SCALE, "{\"workers\":4}")).isNull();
		assertThat(problem(ControlCommand.SCALE, "{\"delta\":-1}")).isNull();
		assertThat(problem(ControlCommand.RELOAD, "{\"strategy\":\"all-at-once\"}")).isNull();
		assertThat(problem(ControlCommand.STOP, "{\"mode\":\"quick\"}")).isNull();
		assertThat(problem(ControlCommand.UPGRADE, "{}")).isNull();
	}

	@Test
	void refusesMalformedJson() {
		assertThat(problem(ControlCommand.SCALE, "{\"workers\":")).startsWith("malformed JSON: ");
		assertThat(problem(ControlCommand.SCALE, "{\"workers\":1} {}")).startsWith("malformed JSON: ");
		assertThat(problem(ControlCommand.SCALE, "{\"workers\":1,\"workers\":2}")).startsWith("malformed JSON: ")
			.contains("workers");
	}

	@Test
	void refusesWhatIsNotAnObject() {
		assertThat(problem(ControlCommand.SCALE, "[4]"))
			.isEqualTo("the body must be a JSON object, such as {\"workers\":4} or {\"delta\":-1}");
	}

	@Test
	void refusesUnknownFieldsNamingTheKnownOnes() {
		assertThat(problem(ControlCommand.SCALE, "{\"count\":4}"))
			.isEqualTo("unknown field 'count' for scale; its fields are delta, workers");
		assertThat(problem(ControlCommand.REOPEN_LOGS, "{\"now\":true}"))
			.isEqualTo("unknown field 'now' for reopen-logs, which takes no fields");
	}

	@Test
	void refusesWrongJsonTypes() {
		assertThat(problem(ControlCommand.SCALE, "{\"workers\":\"4\"}")).isEqualTo("'workers' must be an integer, not \"4\"");
		assertThat(problem(ControlCommand.SCALE, "{\"workers\":2.5}")).isEqualTo("'workers' must be an integer, not 2.5");
		assertThat(problem(ControlCommand.SCALE, "{\"workers\":99999999999}")).startsWith("'workers' must be an integer");
		assertThat(problem(ControlCommand.STOP, "{\"mode\":1}")).isEqualTo("'mode' must be a string, not 1");
	}

	private static String problem(ControlCommand command, String body) {
		return PreforkControlFilter.problem(command, body.getBytes(StandardCharsets.UTF_8));
	}

}
