// Python's grpcio (Debian's python3-grpcio, messages from protoc --python_out) calling an agent
// through the hub's gRPC edge: unary, streaming both ways, a deadline and a status code. Skipped
// with a message where Python's gRPC is not installed; in CI (CI=true) a missing toolchain fails.
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/wait-for.js";
import { startEdge, type EdgeFixture } from "./edge-fixture.js";

const PYTHON = "/usr/bin/python3";
const PROTO_ROOT = fileURLToPath(new URL("../../proto", import.meta.url));
const CLIENT = fileURLToPath(new URL("./fixtures/python_grpc_client.py", import.meta.url));

/** Why the Python toolchain cannot run here, or undefined when it can. */
function missing(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  try {
    execFileSync(PYTHON, ["-c", "import grpc, google.protobuf"], { stdio: "ignore" });
  } catch {
    return "python3-grpcio / python3-protobuf not installed";
  }
  try {
    execFileSync("protoc", ["--version"], { stdio: "ignore" });
  } catch {
    return "protoc (protobuf-compiler) not installed";
  }
  return undefined;
}

const reason = missing();
const inCi = process.env["CI"] === "true";
if (reason !== undefined && !inCi) console.warn(`test/gateway/python-grpc.test.ts skipped: ${reason} (apt-get install -y python3-grpcio python3-protobuf protobuf-compiler; .ci/run does)`);

describe.skipIf(reason !== undefined && !inCi)("Python grpcio → hub edge → agent", () => {
  let f: EdgeFixture;
  let generated: string;
  beforeAll(async () => {
    if (reason !== undefined) throw new Error(`CI must run the Python interop test: ${reason}`);
    generated = mkdtempSync(join(tmpdir(), "swarm-python-"));
    execFileSync("protoc", [`-I${PROTO_ROOT}`, `--python_out=${generated}`, "swarm/examples/v1/compute.proto"]);
    f = await startEdge();
    await f.agent("py-target");
  });
  afterAll(async () => {
    await f?.close();
    if (generated !== undefined) rmSync(generated, { recursive: true, force: true });
  });

  it("unary, server-, client- and bidi-streaming calls, a deadline and a status code", async () => {
    const { stdout } = await promisify(execFile)(PYTHON, [CLIENT, `127.0.0.1:${f.port}`, generated], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({
      fibonacci: 832040,
      countTo: [1, 2, 3, 4],
      sum: { total: 42, count: 3 },
      chat: ["echo: py", "echo: thon"],
      deadline: "DEADLINE_EXCEEDED",
      failure: { code: "PERMISSION_DENIED", details: "failed on purpose: ü % 7" },
    });
    // the deadline reached the agent, whose handler was cancelled when it passed
    await waitFor(() => f.observed.aborted.some((a) => a.method === "Fibonacci"), { what: "the agent's handler to see the deadline pass" });
  });
});
