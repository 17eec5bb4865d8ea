// A conformance smoke with nghttp2's h2load (Debian's nghttp2-client), where it is installed: a
// C client with its own HTTP/2 framing, HPACK (Huffman, dynamic table) and flow control makes
// gRPC calls over h2c, and Connect calls over HTTP/1.1 (--h1), all of which must succeed.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPUTE_PROTO } from "./fixture.js";
import { startEdge, type EdgeFixture } from "./edge-fixture.js";
import { echoMessage } from "./h2-raw.js";

const hasH2load = (() => {
  try {
    execFileSync("h2load", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** h2load's summary line: requests done, succeeded, failed, errored, and status classes. */
function summary(stdout: string): { succeeded: number; failed: number; errored: number; status2xx: number } {
  const requests = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(stdout);
  const codes = /status codes: (\d+) 2xx/.exec(stdout);
  if (requests === null || codes === null) throw new Error(`unexpected h2load output:\n${stdout}`);
  return { succeeded: Number(requests[1]), failed: Number(requests[2]), errored: Number(requests[3]), status2xx: Number(codes[1]) };
}

// Locally it skips (with this message) without nghttp2-client; in CI (.ci/run installs it) it must run.
const skip = !hasH2load && process.env["CI"] !== "true";
if (skip) console.warn("h2load smoke skipped: h2load is not installed (apt-get install nghttp2-client)");

describe.skipIf(skip)("h2load against the edge", () => {
  let f: EdgeFixture;
  let dir: string;
  beforeAll(async () => {
    if (!hasH2load) throw new Error("CI=true, so the h2load smoke must run, but h2load is missing (Debian package nghttp2-client)");
    f = await startEdge({ gateway: { protoFiles: [COMPUTE_PROTO] } });
    await f.agent("worker");
    dir = mkdtempSync(join(tmpdir(), "h2load-"));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await f.close();
  });

  it("gRPC over h2c: 4 connections × 16 streams, 4,000 calls, every one answered 200", async () => {
    const body = join(dir, "echo.bin");
    writeFileSync(body, echoMessage(Buffer.alloc(64, 7)));
    const { stdout } = await promisify(execFile)("h2load", [
      "-n", "4000", "-c", "4", "-m", "16", "-d", body, "-H", "content-type: application/grpc", "-H", "te: trailers",
      `http://127.0.0.1:${f.port}/swarm.examples.v1.ComputeService/Echo`,
    ]);
    expect(summary(stdout)).toEqual({ succeeded: 4000, failed: 0, errored: 0, status2xx: 4000 });
  });

  it("Connect over HTTP/1.1 (--h1): 4 connections, 2,000 calls, every one answered 200", async () => {
    const body = join(dir, "fib.json");
    writeFileSync(body, '{"n":20}');
    const { stdout } = await promisify(execFile)("h2load", [
      "--h1", "-n", "2000", "-c", "4", "-d", body, "-H", "content-type: application/json",
      `http://127.0.0.1:${f.port}/swarm.examples.v1.ComputeService/Fibonacci`,
    ]);
    expect(summary(stdout)).toEqual({ succeeded: 2000, failed: 0, errored: 0, status2xx: 2000 });
  });
});
