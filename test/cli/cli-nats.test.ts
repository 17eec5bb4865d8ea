import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, expect, it } from "vitest";
import { describeNats, useNatsCluster } from "../helpers/nats.js";
import { waitFor } from "../helpers/wait-for.js";

const running = new Set<ChildProcess>();

function start(args: string[]): { output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => (running.delete(child), resolve(code))));
  return { output: () => output, exited };
}

afterEach(() => {
  for (const child of running) child.kill("SIGKILL");
});

describeNats("the command line on NATS", () => {
  const cluster = useNatsCluster();

  it("hub --nats with --link or --link-token is a usage error (exit 2)", async () => {
    const hub = start(["hub", "--bind", "127.0.0.1:0", "--nats", "nats://127.0.0.1:1", "--link", "ws://127.0.0.1:2"]);
    expect(await hub.exited).toBe(2);
    expect(hub.output()).toContain("do not go with --nats");
    const accepting = start(["hub", "--bind", "127.0.0.1:0", "--nats", "nats://127.0.0.1:1", "--link-token", "secret"]);
    expect(await accepting.exited).toBe(2);
    expect(accepting.output()).toContain("do not go with --nats");
  });

  it("an agent on hub A answers a call made through hub B, and one on nats:// directly too", async () => {
    const urls = cluster().nodes.map((node) => node.url);
    // the default subject prefix: hubs and the agent on NATS share it
    const hubA = start(["hub", "--bind", "127.0.0.1:0", "--nats", urls.slice(0, 2).join(",")]);
    const hubB = start(["hub", "--bind", "127.0.0.1:0", "--nats", urls.slice(1).join(",")]);
    const urlOf = (hub: typeof hubA) => waitFor(() => /listening on (ws:\/\/\S+)/.exec(hub.output())?.[1], { what: "a hub to listen", timeoutMs: 15_000 });
    const [a, b] = await Promise.all([urlOf(hubA), urlOf(hubB)]);
    const agent = start(["agent", "--hub", a!, "--id", "agent_on_a"]);
    await waitFor(() => agent.output().includes("connected"), { what: "the agent to connect", timeoutMs: 15_000 });
    const call = start(["call", "--hub", b!, "--to", "agent_on_a", "--proto", "proto/swarm/examples/v1/compute.proto", "swarm.examples.v1.ComputeService/Fibonacci", '{"n": 42}']);
    expect(await call.exited, call.output()).toBe(0);
    expect(call.output()).toContain('"value": "267914296"');
    const direct = start(["agent", "--hub", `${urls[2]},${urls[0]!.replace("nats://", "")}`, "--id", "agent_on_nats"]);
    await waitFor(() => direct.output().includes("connected"), { what: "the NATS agent to connect", timeoutMs: 15_000 });
    const call2 = start(["call", "--hub", b!, "--to", "agent_on_nats", "--proto", "proto/swarm/examples/v1/compute.proto", "swarm.examples.v1.ComputeService/Fibonacci", '{"n": 10}']);
    expect(await call2.exited, call2.output()).toBe(0);
    expect(call2.output()).toContain('"value": "55"');
  }, 60_000);
});
