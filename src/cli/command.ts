/** What a command may do besides computing: print, and wait for a shutdown signal. */
export interface CommandIo {
  /** A line on stdout. */
  out(line: string): void;
  /** A line on stderr. */
  err(line: string): void;
  /** Resolves on SIGINT or SIGTERM. */
  untilSignal(): Promise<void>;
  /** All of stdin, as text (a request given as `-`). */
  readStdin(): Promise<string>;
  /** Whether stdout is a terminal (a live view redraws in place there; elsewhere it prints on). */
  readonly terminal?: boolean;
}

/** One subcommand of `swarm-transport`. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Full help text. */
  readonly usage: string;
  run(argv: string[], io: CommandIo): Promise<void>;
}
