// The structured log of `hub` and `agent`: levels, the readable and the JSON format, and the
// flags that choose them.
import { describe, expect, it } from "vitest";
import { CliError, ExitCode } from "../../src/cli/cli-error.js";
import { createLogger, loggerFromFlags } from "../../src/cli/log.js";

function capture(format: "text" | "json", level: "debug" | "info" | "warn" | "error") {
  const lines: string[] = [];
  const log = createLogger({ format, level, write: (line) => lines.push(line), now: () => Date.UTC(2026, 10, 28, 9) });
  return { log, lines };
}

describe("createLogger", () => {
  it("writes records at or above its level, and says which are enabled", () => {
    const { log, lines } = capture("text", "warn");
    for (const level of ["debug", "info", "warn", "error"] as const) log.log(level, "e", level);
    expect(lines).toEqual(["warning: warn", "error: error"]);
    expect([log.enabled("info"), log.enabled("warn")]).toEqual([false, true]);
  });

  it("JSON: the event first, then the fields (undefined ones left out), level, time and message", () => {
    const { log, lines } = capture("json", "debug");
    log.log("info", "agent-joined", 'agent "a" joined', { agent: "a", remote: "127.0.0.1", hubLink: false, code: undefined, paths: ["/metrics"] });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe('{"event":"agent-joined","agent":"a","remote":"127.0.0.1","hubLink":false,"paths":["/metrics"],"level":"info","time":"2026-11-28T09:00:00.000Z","msg":"agent \\"a\\" joined"}');
  });
});

describe("--log, --log-level, --json", () => {
  const make = (values: Parameters<typeof loggerFromFlags>[0]) => loggerFromFlags(values, "hub", () => undefined);

  it("text at info by default; --json is --log json", () => {
    expect([make({}).format, make({}).enabled("debug"), make({}).enabled("info")]).toEqual(["text", false, true]);
    expect(make({ json: true }).format).toBe("json");
    expect(make({ log: "json", "log-level": "debug" }).enabled("debug")).toBe(true);
  });

  it("refuses an unknown format or level, and --json with --log text, as usage errors", () => {
    for (const [values, message] of [
      [{ log: "xml" }, 'hub: --log "xml" is not a log format; give text or json'],
      [{ "log-level": "loud" }, 'hub: --log-level "loud" is not a level; give one of debug, info, warn, error'],
      [{ json: true, log: "text" }, "hub: --json and --log text contradict each other; give one"],
    ] as const) {
      let thrown: unknown;
      try {
        make(values);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(CliError);
      expect(thrown).toMatchObject({ message, exitCode: ExitCode.USAGE });
    }
  });
});
