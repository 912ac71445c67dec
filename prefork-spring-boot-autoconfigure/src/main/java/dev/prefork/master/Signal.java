package dev.prefork.master;

/** The signals the master sends to workers, with their Linux numbers. */
public enum Signal {

	HUP(1), INT(2), QUIT(3), KILL(9), USR1(10), TERM(15);

	private final int number;

	Signal(int number) {
		this.number = number;
	}

	public int number() {
		return this.number;
	}

	@Override
	public String toString() {
		return "SIG" + name();
	}

}
