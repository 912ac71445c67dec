package dev.prefork.autoconfigure;

import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Worker settings.
 */
public class WorkerProperties {

	/**
	 * Extra JVM options for workers only, separated by spaces, such as "-Xmx512m
	 * -XX:+UseSerialGC"; a value with spaces in double or single quotes, as a shell
	 * takes it: -Dgreeting="hello world". Workers otherwise get exactly the master's JVM
	 * options.
	 */
	private String jvmArgs = "";

	/**
	 * Whether each worker sees its share of the processors (-XX:ActiveProcessorCount, at
	 * least 1) and of Spring Boot's 200 request threads of Tomcat or Jetty
	 * (server.tomcat.threads.max, server.jetty.threads.max, at least 25) for a Spring MVC
	 * application, unless the user set them.
	 */
	private boolean shareCpus = true;

	/**
	 * Nice levels (0-19) a worker's threads go below the master's once its application has started (warming up, or ready). Linux
	 * shares the CPU per thread: under load, the serving workers' busy request threads
	 * would leave a worker that boots or warms up beside them (a reload, a replacement)
	 * a sliver of it. 0 keeps workers at the master's priority.
	 */
	private int readyNice = 10;

	public int getReadyNice() {
		return this.readyNice;
	}

	public void setReadyNice(int readyNice) {
		this.readyNice = readyNice;
	}

	public boolean isShareCpus() {
		return this.shareCpus;
	}

	public void setShareCpus(boolean shareCpus) {
		this.shareCpus = shareCpus;
	}

	public String getJvmArgs() {
		return this.jvmArgs;
	}

	public void setJvmArgs(String jvmArgs) {
		this.jvmArgs = jvmArgs;
	}

	/**
	 * The options, split as a shell splits words: on spaces outside quotes, the quotes
	 * removed, a backslash keeping the next character outside single quotes.
	 * @throws InvalidConfigurationPropertyValueException for a quote that is not closed
	 */
	List<String> jvmArgList() {
		List<String> options = new ArrayList<>();
		StringBuilder option = null;
		char quote = 0;
		String text = (this.jvmArgs != null) ? this.jvmArgs : "";
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (quote == 0 && Character.isWhitespace(c)) {
				if (option != null) {
					options.add(option.toString());
					option = null;
				}
				continue;
			}
			option = (option != null) ? option : new StringBuilder();
			if (c == '\\' && i + 1 < text.length()
					&& (quote == 0 || (quote == '"' && (text.charAt(i + 1) == '"' || text.charAt(i + 1) == '\\')))) {
				// as a shell: outside quotes a backslash keeps the next character, in double
				// quotes only a quote or a backslash, in single quotes nothing
				option.append(text.charAt(++i));
			}
			else if (quote == 0 && (c == '"' || c == '\'')) {
				quote = c;
			}
			else if (c == quote) {
				quote = 0;
			}
			else {
				option.append(c);
			}
		}
		if (quote != 0) {
			throw PreforkProperties.invalid("worker.jvm-args", text, "a " + quote + " quote is not closed");
		}
		if (option != null) {
			options.add(option.toString());
		}
		if (options.contains("")) {
			throw PreforkProperties.invalid("worker.jvm-args", text, "an empty argument ('' or \"\") would be taken for the main class");
		}
		return options;
	}

}
