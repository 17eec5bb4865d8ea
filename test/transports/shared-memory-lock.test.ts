import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

/** Runs `script` in its own Node process with tsx; kills it after `ms`. */
async function runScript(script: URL, ms: number): Promise<{ code: number | null; output: string; killed: boolean }> {
  const child = spawn(process.execPath, ["--import", "tsx", script.pathname], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, ms);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  clearTimeout(timer);
  return { code, output, killed };
}

describe("SharedMemorySegment directory lock", () => {
  // Before: a thread terminated while holding the lock left it held, and the next directory
  // change (the supervisor reaping that very worker, another attach) spun at 100% CPU forever,
  // blocking its thread's event loop, so not even a test timeout could fire.
  it("a stuck holder makes attach fail after a bound; a dead holder's lock is freed when it is reaped", async () => {
    const { code, output, killed } = await runScript(new URL("./fixtures/shared-memory-lock.ts", import.meta.url), 15_000);
    expect(killed).toBe(false);
    expect(output.trim().split("\n")).toEqual(["attach while held: ConnectionError", "attach after the holder died: late", "done"]);
    expect(code).toBe(0);
  });
});
