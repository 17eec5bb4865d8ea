import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketTransport } from "../../src/node.js";

const PROTO = "proto/swarm/examples/v1/compute.proto";

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();

/** Starts `swarm-transport ...args` as a user would (a separate process); `stdin` is piped in when given. */
function start(args: string[], stdin?: string): { child: ChildProcess; output: () => string; exited: Promise<Run> } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
  if (stdin !== undefined) child.stdin!.end(stdin);
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

function run(args: string[], stdin?: string): Promise<Run> {
  return start(args, stdin).exited;
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
    const hub = start(["hub", "--bind", "127.0.0.1:0", "--gateway-proto", PROTO, "--json", "--stats-watcher", "ops"]);
    const [listening] = await waitFor(hub.output, /^\{"event":"listening".*\}$/m);
    const { url, http: httpBase, paths } = JSON.parse(listening) as { url: string; http: string; paths: string[] };
    expect(paths).toEqual(["/healthz", "/metrics", "/<package.Service>/<Method>"]);
    const agent = start(["agent", "--hub", url, "--id", "agent_2", "--json"]);
    const [connected] = await waitFor(agent.output, /^\{"event":"connected".*\}$/m);
    expect(JSON.parse(connected)).toMatchObject({ event: "connected", agent: "agent_2", hub: url, service: "swarm.examples.v1.ComputeService", level: "info" });
    // the hub's log: one JSON record a line
    const [joined] = await waitFor(hub.output, /^\{"event":"agent-joined","agent":"agent_2".*\}$/m);
    expect(JSON.parse(joined)).toMatchObject({ remote: "127.0.0.1", resumed: false, level: "info", msg: 'agent "agent_2" joined from 127.0.0.1' });
    expect(Date.parse((JSON.parse(joined) as { time: string }).time)).not.toBeNaN();

    // health, metrics and the HTTP gateway on the hub's port
    const health = await fetch(`${httpBase}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${httpBase}/metrics`)).text();
    expect(metrics).toMatch(/^# HELP swarm_/m);
    // no swarm-to: the agent announced the service, the hub routes by it
    const viaHttp = await fetch(`${httpBase}/swarm.examples.v1.ComputeService/Fibonacci`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n: 10 }),
    });
    expect(await viaHttp.json()).toEqual({ value: "55" });

    const call = await run(["call", "--hub", url, "--to", "agent_2", "--proto", PROTO, "swarm.examples.v1.ComputeService/Fibonacci", '{"n": 42}']);
    expect(call.stderr).toBe("");
    expect(JSON.parse(call.stdout)).toEqual({ value: "267914296" });
    expect(call.code).toBe(0);

    // no --proto: the schema comes from the hub's server reflection
    const byReflection = await run(["call", "--hub", url, "--to", "agent_2", "swarm.examples.v1.ComputeService/Fibonacci", '{"n": 20}']);
    expect(byReflection.stderr).toBe("");
    expect(JSON.parse(byReflection.stdout)).toEqual({ value: "6765" });

    // the request from stdin ("-"), in proto3 JSON: a uint32 as a string, a field by its proto name
    const stream = await run(["call", "--hub", url, "--to", "agent_2", "--proto", PROTO, "swarm.examples.v1.ComputeService/CountTo", "-"], '{"n": "3", "delay_ms": 1}');
    expect(stream.code).toBe(0);
    expect(stream.stdout.trim().split("\n").map((line) => JSON.parse(line))).toEqual([{ value: 1 }, { value: 2 }, { value: 3 }]);
    const requestFile = join(mkdtempSync(join(tmpdir(), "swarm-cli-")), "request.json");
    writeFileSync(requestFile, JSON.stringify({ payload: Buffer.alloc(256 * 1024, 7).toString("base64") }));
    const fromFile = await run(["call", "--hub", url, "--to", "agent_2", "--proto", PROTO, "swarm.examples.v1.ComputeService/Echo", `@${requestFile}`]);
    expect(fromFile.stderr).toBe("");
    expect(Buffer.from((JSON.parse(fromFile.stdout) as { payload: string }).payload, "base64")).toEqual(Buffer.alloc(256 * 1024, 7));

    const subscriber = start(["subscribe", "--hub", url, "--count", "1", "demo.>"]);
    await waitFor(subscriber.output, /subscribed to demo\.>/);
    const publish = await run(["publish", "--hub", url, "--json", "demo.hello", '{"greeting": "hi"}']);
    expect(JSON.parse(publish.stdout)).toEqual({ subject: "demo.hello", deliveries: 1 });
    const seen = await subscriber.exited;
    expect(seen.code).toBe(0);
    expect(JSON.parse(seen.stdout.trim())).toMatchObject({ subject: "demo.hello", data: { greeting: "hi" } });

    // errors: one line, documented exit codes
    const unknownMethod = await run(["call", "--hub", url, "--to", "agent_2", "--proto", PROTO, "swarm.examples.v1.ComputeService/Nope"]);
    expect(unknownMethod.code).toBe(2);
    expect(unknownMethod.stderr.trim().split("\n")).toHaveLength(1);
    expect(unknownMethod.stderr).toContain("unknown method Nope");
    const nobody = await run(["call", "--hub", url, "--to", "agent_9", "--proto", PROTO, "swarm.examples.v1.ComputeService/Fibonacci", "{}"]);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/^UNAVAILABLE: /);

    // top: one snapshot as JSON, for an allowed watcher; anyone else is refused
    const top = await run(["top", "--hub", url, "--id", "ops", "--json", "--count", "1"]);
    expect(top.code, top.stderr).toBe(0);
    const snapshot = JSON.parse(top.stdout) as { hubId: string; agents: { agentId: string; state: string }[] };
    expect(snapshot.hubId).toBe("hub");
    expect(snapshot.agents.find((row) => row.agentId === "agent_2")).toMatchObject({ state: "open" });
    const refused = await run(["top", "--hub", url, "--id", "stranger", "--count", "1"]);
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({ code: 1, stderr: expect.stringMatching(/^top: the hub at ws:\S+ does not let "stranger" watch its stats \(start it with --stats-watcher stranger, or pass an allowed --id\)\n$/) });

    hub.child.kill("SIGTERM");
    const stopped = await hub.exited;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout.trim().split("\n").map((line) => (JSON.parse(line) as { event: string }).event)).toContain("stopped");
    agent.child.kill("SIGTERM");
    expect((await agent.exited).code).toBe(0);
  }, 60_000); // ten processes, each compiling the CLI with tsx

  it("an agent says when it loses and regains its hub, and exits 3 when it gives up", async () => {
    const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" });
    try {
      const agent = start(["agent", "--hub", hub.url, "--id", "agent_r", "--retry-attempts", "3"]);
      await waitFor(agent.output, /agent "agent_r" connected/);
      hub.dropConnection("agent_r"); // as a network failure would
      await waitFor(agent.output, /agent "agent_r": lost the hub at ws:\/\/\S+ \(.*\); reconnecting, up to 3 attempt\(s\)\n/);
      await waitFor(agent.output, /agent "agent_r": reconnected to the hub at ws:\/\/\S+ \(attempt \d\)\n/);
      await hub.close();
      const gaveUp = await agent.exited;
      expect(gaveUp.code).toBe(3);
      expect(gaveUp.stderr).toMatch(/^agent "agent_r": gave up on the hub at ws:\/\/\S+ after 3 attempt\(s\): connection refused \(restart the hub, then this command\)\n$/);
    } finally {
      await hub.close();
    }
  }, 30_000);
});
