package dev.prefork.master;

/** How the master stops its workers. */
public enum StopMode {

	/** TERM to every worker, wait up to the graceful timeout, then KILL. */
	GRACEFUL,

	/** INT to every worker, wait a few seconds, then KILL. */
	QUICK

}
