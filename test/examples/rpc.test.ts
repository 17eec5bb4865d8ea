import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("the RPC example (examples/rpc.ts, npm run example:rpc)", () => {
  it("runs every call kind as written", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "examples/rpc.ts"], { timeout: 30_000 });
    expect(stdout).toContain("fibonacci(42) = 267914296");
    expect(stdout).toContain("countTo(5) -> 1, 2, 3, 4, 5");
    expect(stdout).toContain("sum(1, 2, 3) = 6 over 3 messages");
    expect(stdout).toContain("chat: 2 echo: swarm");
    expect(stdout).toContain("as expected: DEADLINE_EXCEEDED");
  });
});
