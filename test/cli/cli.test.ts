import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";

const PROTO = "proto/swarm/examples/v1/compute.proto";

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();

/** Starts `swarm-transport ...args` as a user would (a separate process). */
function start(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<Run> } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Run>((resolve) =>
    child.on("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, output: () => stdout + stderr, exited };
}

function run(args: string[]): Promise<Run> {
  return start(args).exited;
}

async function waitFor(output: () => string, pattern: RegExp, ms = 15_000): Promise<RegExpMatchArray> {
  const end = Date.now() + ms;
  for (;;) {
    const match = output().match(pattern);
    if (match !== null) return match;
    if (Date.now() > end) throw new Error(`timed out waiting for ${pattern} in: ${output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

afterEach(() => {
  for (const child of running) child.kill("SIGKILL");
});

describe("the swarm-transport command", () => {
  it("hub, agent, call, publish/subscribe and a clean SIGTERM, as separate processes", async () => {
    const hub = start(["hub", "--bind", "127.0.0.1:0", "--gateway-proto", PROTO]);
    const [, url] = await waitFor(hub.output, /listening on (ws:\/\/127\.0\.0\.1:\d+)/);
    const [, httpBase] = await waitFor(hub.output, /http on (http:\/\/127\.0\.0\.1:\d+): \/healthz \/metrics/);
    const agent = start(["agent", "--hub", url!, "--id", "agent_2"]);
    await waitFor(agent.output, /agent "agent_2" connected/);

    // health, metrics and the HTTP gateway on the hub's port
    const health = await fetch(`${httpBase}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${httpBase}/metrics`)).text();
    expect(metrics).toMatch(/^# HELP swarm_/m);
    const viaHttp = await fetch(`${httpBase}/swarm.examples.v1.ComputeService/Fibonacci`, {
      method: "POST",
      headers: { "content-type": "application/json", "swarm-to": "agent_2" },
      body: JSON.stringify({ n: 10 }),
    });
    expect(await viaHttp.json()).toEqual({ value: "55" });

    const call = await run(["call", "--hub", url!, "--to", "agent_2", "--proto", PROTO, "swarm.examples.v1.ComputeService/Fibonacci", '{"n": 42}']);
    expect(call.stderr).toBe("");
    expect(JSON.parse(call.stdout)).toEqual({ value: "267914296" });
    expect(call.code).toBe(0);

    // proto3 JSON: a uint32 as a string, a field by its proto name
    const stream = await run(["call", "--hub", url!, "--to", "agent_2", "--proto", PROTO, "swarm.examples.v1.ComputeService/CountTo", '{"n": "3", "delay_ms": 1}']);
    expect(stream.code).toBe(0);
    expect(stream.stdout.trim().split("\n").map((line) => JSON.parse(line))).toEqual([{ value: 1 }, { value: 2 }, { value: 3 }]);

    const subscriber = start(["subscribe", "--hub", url!, "--count", "1", "demo.>"]);
    await waitFor(subscriber.output, /subscribed to demo\.>/);
    const publish = await run(["publish", "--hub", url!, "demo.hello", '{"greeting": "hi"}']);
    expect(publish.stdout).toContain("published demo.hello to 1 subscriber(s)");
    const seen = await subscriber.exited;
    expect(seen.code).toBe(0);
    expect(JSON.parse(seen.stdout.trim())).toMatchObject({ subject: "demo.hello", data: { greeting: "hi" } });

    // errors: one line, documented exit codes
    const unknownMethod = await run(["call", "--hub", url!, "--to", "agent_2", "--proto", PROTO, "swarm.examples.v1.ComputeService/Nope"]);
    expect(unknownMethod.code).toBe(2);
    expect(unknownMethod.stderr.trim().split("\n")).toHaveLength(1);
    expect(unknownMethod.stderr).toContain("unknown method Nope");
    const nobody = await run(["call", "--hub", url!, "--to", "agent_9", "--proto", PROTO, "swarm.examples.v1.ComputeService/Fibonacci", "{}"]);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/^UNAVAILABLE: /);

    hub.child.kill("SIGTERM");
    const stopped = await hub.exited;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain("hub: shutting down");
    agent.child.kill("SIGTERM");
    expect((await agent.exited).code).toBe(0);
  });

  it("bad flags, unknown commands and unreachable hubs: one clear line and a non-zero exit", async () => {
    const badFlag = await run(["call", "--frobnicate"]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/Unknown option '--frobnicate'.*see: swarm-transport call --help/);
    expect(badFlag.stderr).not.toContain("    at ");

    const unknown = await run(["teleport"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "teleport"');

    const unreachable = await run(["call", "--hub", "ws://127.0.0.1:9", "--to", "x", "--proto", PROTO, "swarm.examples.v1.ComputeService/Fibonacci", "{}"]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/^cannot connect to hub at ws:\/\/127\.0\.0\.1:9/);
    expect(unreachable.stderr.trim().split("\n")).toHaveLength(1);

    const badJson = await run(["call", "--to", "x", "--proto", PROTO, "swarm.examples.v1.ComputeService/Fibonacci", "{n:"]);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toContain("the request is not valid JSON");

    // request JSON that does not fit the schema: the gateway's invalid_argument message, exit 2, before connecting
    const outOfRange = await run(["call", "--to", "x", "--proto", PROTO, "swarm.examples.v1.ComputeService/Fibonacci", '{"n": 4294967296}']);
    expect(outOfRange.code).toBe(2);
    expect(outOfRange.stderr).toBe('call: invalid value for field "n" (uint32): 4294967296 is out of range\n');

    const badProto = await run(["hub", "--bind", "127.0.0.1:0", "--gateway-proto", "no/such.proto"]);
    expect(badProto.code).toBe(2);
    expect(badProto.stderr).toMatch(/^hub: --gateway-proto: cannot load no\/such.proto: /);

    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    for (const name of ["hub", "agent", "call", "publish", "subscribe", "bench"]) expect(help.stdout).toContain(`  ${name}`);
  });
});
