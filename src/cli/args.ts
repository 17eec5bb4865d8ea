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
  if (typeof value !== "string" || value.length === 0) throw new CliError(`${command}: --${flag} is required`, ExitCode.USAGE);
  return value;
}

/** A non-negative integer flag, or `fallback` when absent. */
export function integer(value: string | boolean | (string | boolean)[] | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed)) throw new CliError(`--${flag} must be a non-negative integer, got ${JSON.stringify(value)}`, ExitCode.USAGE);
  return parsed;
}

/** Parses a JSON argument; a parse error names the argument. */
export function json(text: string | undefined, what: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CliError(`${what} is not valid JSON: ${(error as Error).message}`, ExitCode.USAGE);
  }
}
