/** Exit codes of the `swarm-transport` command. */
export const ExitCode = {
  OK: 0,
  /** The operation ran and failed (an RPC status other than OK, a refused publish). */
  FAILED: 1,
  /** Bad command line: unknown command or flag, missing argument, bad JSON, unknown method. */
  USAGE: 2,
  /** The hub could not be reached or the connection was lost. */
  UNAVAILABLE: 3,
} as const;

/** A failure the CLI reports as one line on stderr and an exit code, never a stack trace. */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly exitCode: number;

  constructor(message: string, exitCode: number = ExitCode.FAILED) {
    super(message);
    this.exitCode = exitCode;
  }
}
