import { spawn, type ChildProcess } from "node:child_process";

/** How a process ended. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall-clock time, ms. */
  ms: number;
}

/**
 * The environment for a nested npm: without the npm_* variables of an `npm test` that may be
 * running this file (npm_config_local_prefix and friends would point npm back at this
 * checkout), but with the cache and registry settings, so the warm cache is used.
 */
export function cleanNpmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = new Set(["npm_config_cache", "npm_config_registry", "npm_config_userconfig"]);
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) || keep.has(key.toLowerCase())));
  return { ...env, ...extra };
}

/** Runs `command args` in `cwd` to its end (killed after `timeoutMs`). Never rejects on a non-zero exit. */
export function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Ran> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanNpmEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Math.round(performance.now() - started) });
    });
  });
}

/** `ran` as one string for an assertion message. */
export function transcript(what: string, ran: Ran): string {
  return `${what} exited ${ran.code} after ${ran.ms} ms\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`;
}

/** The lines of npm output that are warnings, less the one this machine's config always prints. */
export function npmWarnings(output: string): string[] {
  return output.split("\n").filter((line) => /^npm (warn|WARN)/.test(line) && !line.includes('Unknown user config "nodedir"'));
}

/** A process left running; `output()` is what it printed so far. */
export interface Background {
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM, then resolves once it has exited. */
  stop(): Promise<void>;
}

/** Starts `command args` in `cwd` and leaves it running. */
export function background(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Background {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanNpmEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
