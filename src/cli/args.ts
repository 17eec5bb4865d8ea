import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError, ExitCode } from "./cli-error.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The parsed values of option set `O` (plus --help). */
export type Values<O extends Options> = {
  [K in keyof O]: O[K] extends { type: "boolean" }
    ? boolean | undefined
    : O[K] extends { multiple: true }
      ? string[] | undefined
      : O[K] extends { default: string }
        ? string
        : string | undefined;
} & { help?: boolean | undefined };

/** Parses one command's flags strictly; a bad flag is a one-line usage error naming the command's help. */
export function parseCommand<O extends Options>(command: string, argv: string[], options: O): { values: Values<O>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
    return { values: parsed.values as unknown as Values<O>, positionals: parsed.positionals };
  } catch (error) {
    throw new CliError(`${(error as Error).message.split("\n")[0]} (see: swarm-transport ${command} --help)`, ExitCode.USAGE);
  }
}

/** A required string flag. */
export function required(value: string | boolean | (string | boolean)[] | undefined, flag: string, command: string): string {
  if (typeof value !== "string" || value.length === 0) throw new CliError(`${command}: --${flag} is required (see: swarm-transport ${command} --help)`, ExitCode.USAGE);
  return value;
}

/** A non-negative integer flag, or `fallback` when absent. */
export function integer(value: string | boolean | (string | boolean)[] | undefined, flag: string, fallback: number, command: string): number {
  if (value === undefined) return fallback;
  const parsed = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed)) throw new CliError(`${command}: --${flag} ${JSON.stringify(value)} is not a whole number; give one like ${fallback > 0 ? fallback : 10}`, ExitCode.USAGE);
  return parsed;
}

/** Parses a JSON argument; a parse error names the argument. */
export function json(text: string | undefined, what: string, command: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`${command}: ${what} is not valid JSON (${(error as Error).message}); quote it for the shell, e.g. '{"n": 42}', or give @FILE or - for stdin`, ExitCode.USAGE);
  }
}

/** The largest TCP port. */
const MAX_PORT = 65535;

/**
 * A `HOST:PORT` flag (an IPv6 host in brackets), with a port from 0 to 65535; anything else is
 * a usage error that shows the expected form.
 */
export function bindAddress(value: string, flag: string, command: string): string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(value);
  if (match === null || Number(match[2]) > MAX_PORT) {
    const why = match === null ? "is not HOST:PORT" : `has port ${match[2]}, past ${MAX_PORT}`;
    throw new CliError(`${command}: --${flag} ${JSON.stringify(value)} ${why}; give one such as 127.0.0.1:8080 (port 0 picks a free one)`, ExitCode.USAGE);
  }
  return value;
}
