import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("the quickstart the README runs (examples/quickstart.ts)", () => {
  it("runs as written and prints the answer", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "examples/quickstart.ts"], { timeout: 30_000 });
    expect(stdout).toContain("agent_2 received compute_fibonacci(42) from agent_1");
    expect(stdout).toContain("agent_1 got fib(42) = 267914296");
    expect(stdout).toContain("as expected: InvalidAddress");
  });
});
