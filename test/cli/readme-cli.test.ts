// Every shell block of the README's "The command line" section, run as written
// (through `sh`, `npx swarm-transport` being this checkout's bin, built first) against a hub
// the test starts: the README's hub line runs with `--bind 127.0.0.1:0` added, so parallel
// runs never fight over port 8080, and the other commands find it through $SWARM_HUB.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait-for.js";

interface ReadmeCommand {
  /** The command as the shell runs it (continuation lines joined, comment removed). */
  readonly text: string;
  /** What the README says it prints (`# → ...`), if anything. */
  readonly expected: string | undefined;
}

/** The shell blocks of the README's command-line section (fragments included: they are what it is about). */
function readmeBlocks(): ReadmeCommand[][] {
  const readme = readFileSync("README.md", "utf8");
  const start = readme.search(/^#+ (The command line|.*`swarm-transport` command)/m);
  expect(start, "README has a section on the command line").toBeGreaterThanOrEqual(0);
  const heading = /^(#+).*\n/.exec(readme.slice(start))!;
  const level = heading[1]!.length;
  const rest = readme.slice(start + heading[0].length);
  const next = rest.search(new RegExp(`^#{1,${level}} `, "m"));
  const section = next < 0 ? rest : rest.slice(0, next);
  return [...section.matchAll(/^```sh(?: fragment)?\n([\s\S]*?)^```/gm)].map(([, body]) => commandsOf(body!));
}

function commandsOf(block: string): ReadmeCommand[] {
  return block
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"))
    .map((line) => {
      // a trailing comment is two or more spaces, then "#"
      const comment = /\s{2,}#\s*(.*)$/.exec(line);
      const text = (comment === null ? line : line.slice(0, comment.index)).trim();
      const expected = comment?.[1]!.startsWith("→") ? comment[1]!.slice(1).trim() : undefined;
      return { text, expected };
    });
}

const LONG_RUNNING = /^npx swarm-transport (hub|agent)\b/;

const running: ChildProcess[] = [];
let hubUrl = "";

/** Runs `text` with sh in its own process group, collecting output. */
function sh(text: string) {
  const child = spawn("sh", ["-c", text], { stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, SWARM_HUB: hubUrl } });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Stops a background command: its whole process group (sh, npm, node). */
function stop(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, "SIGTERM");
  } catch {
    // already gone
  }
}

beforeAll(async () => {
  // `npx swarm-transport` runs dist/: make it this checkout's code
  await promisify(execFile)("npm", ["run", "--silent", "build"], { timeout: 60_000 });
}, 90_000);

afterAll(() => {
  for (const child of running) stop(child);
});

describe("the README's CLI section", () => {
  it("runs every shell block as written", async () => {
    const blocks = readmeBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const ran: string[] = [];
    for (const block of blocks) {
      for (const { text, expected } of block) {
        expect(text, "README CLI commands run through npx").toMatch(/^(echo .* \| )?npx swarm-transport /);
        if (LONG_RUNNING.test(text)) {
          const isHub = /^npx swarm-transport hub\b/.test(text);
          const background = sh(isHub ? `${text} --bind 127.0.0.1:0` : text);
          running.push(background.child);
          // ready when it prints its first line ("listening on ...", "... connected ...")
          await waitFor(() => background.stdout().includes("\n") || background.child.exitCode !== null, { what: `${text} to start`, timeoutMs: 15_000 });
          expect(background.child.exitCode, `${text}: ${background.stderr()}`).toBeNull();
          if (isHub) hubUrl = /listening on (ws:\/\/\S+)/.exec(background.stdout())![1]!;
        } else {
          expect(hubUrl, "the hub block comes first").not.toBe("");
          const command = sh(text);
          const code = await command.exited;
          expect({ text, code, stderr: command.stderr() }).toEqual({ text, code: 0, stderr: expect.any(String) });
          if (expected !== undefined) expectOutput(text, command.stdout(), expected);
          if (/--count (\d+)/.test(text)) expect(command.stdout().trim().split("\n")).toHaveLength(Number(/--count (\d+)/.exec(text)![1]));
        }
        ran.push(text);
      }
    }
    expect(ran.filter((text) => LONG_RUNNING.test(text))).toHaveLength(2);
  }, 60_000);
});

/** The README's `# → X`: JSON compared as values, anything else as the exact line. */
function expectOutput(text: string, stdout: string, expected: string): void {
  let wanted: unknown;
  try {
    wanted = JSON.parse(expected);
  } catch {
    return void expect(stdout.trim(), text).toBe(expected);
  }
  expect(JSON.parse(stdout), text).toEqual(wanted);
}
