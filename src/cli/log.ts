import { CliError, ExitCode } from "./cli-error.js";

/** Log levels, least to most severe. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How records are written: readable sentences, or one JSON object a line. */
export type LogFormat = "text" | "json";

/** Fields of a record: what happened, in values a script can read. */
export type LogFields = Record<string, string | number | boolean | readonly string[] | undefined>;

/** Writes the records of a long-running command (hub, agent) at or above its level. */
export interface Logger {
  readonly format: LogFormat;
  /** Whether records of `level` are written (to skip building costly ones). */
  enabled(level: LogLevel): boolean;
  /**
   * One record: `event` names what happened ("agent-joined"), `message` says it in words (the
   * text format prints it as it is), `fields` give the values.
   */
  log(level: LogLevel, event: string, message: string, fields?: LogFields): void;
}

/** Options of `createLogger`. */
export interface LoggerOptions {
  format: LogFormat;
  level: LogLevel;
  /** Where a line goes (stdout). */
  write(line: string): void;
  /** The clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/**
 * A logger. Text: the message, with "warning: " or "error: " before warnings and errors. JSON:
 * `{"event", ...fields, "level", "time", "msg"}`, the event first so `grep '"event":"x"'` and
 * `jq 'select(.event == "x")'` both work; fields that are undefined are left out.
 */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level);
  const now = options.now ?? Date.now;
  const enabled = (level: LogLevel): boolean => LOG_LEVELS.indexOf(level) >= threshold;
  return {
    format: options.format,
    enabled,
    log(level, event, message, fields = {}) {
      if (!enabled(level)) return;
      if (options.format === "text") {
        options.write(level === "warn" ? `warning: ${message}` : level === "error" ? `error: ${message}` : message);
        return;
      }
      const record: Record<string, unknown> = { event };
      for (const key in fields) if (fields[key] !== undefined) record[key] = fields[key];
      record["level"] = level;
      record["time"] = new Date(now()).toISOString();
      record["msg"] = message;
      options.write(JSON.stringify(record));
    },
  };
}

/** The flags of a command that logs. */
export const logFlags = {
  log: { type: "string" },
  "log-level": { type: "string" },
  json: { type: "boolean" },
} as const;

/** Help lines of `logFlags`, descriptions starting at `column` (as the command's other flags). */
export function logFlagHelp(column: number): string {
  const flag = (name: string) => `  ${name}`.padEnd(column);
  const more = " ".repeat(column);
  return [
    `${flag("--log FORMAT")}text (readable lines, the default) or json (one JSON object a line:`,
    `${more}{"event", ..., "level", "time", "msg"}), on stdout`,
    `${flag("--log-level LEVEL")}the least severe written: debug, info (the default), warn, error`,
    `${flag("--json")}the same as --log json`,
  ].join("\n");
}

/** The logger `--log`, `--log-level` and `--json` ask for, writing to `write`. */
export function loggerFromFlags(values: { log?: string | undefined; "log-level"?: string | undefined; json?: boolean | undefined }, command: string, write: (line: string) => void): Logger {
  const format = values.log ?? (values.json === true ? "json" : "text");
  if (format !== "text" && format !== "json") throw new CliError(`${command}: --log ${JSON.stringify(format)} is not a log format; give text or json`, ExitCode.USAGE);
  if (values.json === true && format !== "json") throw new CliError(`${command}: --json and --log ${format} contradict each other; give one`, ExitCode.USAGE);
  const level = values["log-level"] ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new CliError(`${command}: --log-level ${JSON.stringify(level)} is not a level; give one of ${LOG_LEVELS.join(", ")}`, ExitCode.USAGE);
  return createLogger({ format, level: level as LogLevel, write });
}
