// The hub's per-agent and per-method series on /metrics: label values capped ("other" past the
// cap), counters that never go back, and figures that agree with the agents' own.
import { describe, expect, it } from "vitest";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { callMethod, createClient, createDemux, createServer, RpcError, Status, type WebSocketClientTransport } from "../../src/index.js";
import { CappedSeries } from "../../src/gateway/capped-series.js";
import { createHubHttp, WebSocketTransport } from "../../src/node.js";
import { waitFor } from "../helpers/wait-for.js";

describe("CappedSeries (pure)", () => {
  const reading = (id: string, n: number) => ({ id, values: { n } });

  it("gives the first agents labels of their own, the rest one 'other', and keeps counters from going back", () => {
    const series = new CappedSeries(2, ["n"] as const);
    let totals = series.update([reading("a", 5), reading("b", 7), reading("c", 3), reading("d", 2)]);
    expect(Object.fromEntries([...totals].map(([label, t]) => [label, t.n]))).toEqual({ a: 5, b: 7, other: 5 });
    // c reconnected (its counts restarted at 0, now 1), d went on by 2: "other" only grows
    totals = series.update([reading("a", 6), reading("b", 7), reading("c", 1), reading("d", 4)]);
    expect(totals.get("other")!.n).toBe(8);
    // a leaves: its series ends, and its slot goes to the next agent not yet labelled; c stays in "other"
    totals = series.update([reading("b", 9), reading("c", 2), reading("d", 4), reading("e", 3)]);
    expect(Object.fromEntries([...totals].map(([label, t]) => [label, t.n]))).toEqual({ b: 9, e: 3, other: 9 });
    expect(series.labelOf("c")).toBe("other");
    series.update([reading("b", 9), reading("e", 3), reading("f", 1)]);
    expect(series.labelOf("f")).toBe("other");
  });
});

/** The value of one sample in a Prometheus text exposition, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.indexOf("}"));
    const parts = inside.split(",");
    if (parts.length === wanted.length && wanted.every((part) => parts.includes(part))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

function labelValues(text: string, name: string, label: string): string[] {
  const values = new Set<string>();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const match = new RegExp(`${label}="([^"]*)"`).exec(line);
    if (match !== null) values.add(match[1]!);
  }
  return [...values].sort();
}

describe("a hub's /metrics: per agent and per method", () => {
  it("caps the label values, and reports what the agents did", async () => {
    const http = createHubHttp({ metrics: { maxAgentSeries: 2, maxMethodSeries: 1 } });
    const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", http }, { heartbeatIntervalMs: 0 });
    const agents: WebSocketClientTransport[] = [];
    try {
      for (const id of ["a_worker", "b_caller", "c_idle", "d_idle"]) agents.push(await WebSocketTransport.client({ url: hub.url, agentId: id }, { heartbeatIntervalMs: 0 }));
      const [worker, caller] = agents;
      createServer(createDemux(worker!)).add(ComputeServiceDefinition, {
        ...computeService,
        fibonacci(request) {
          if (request.n > 90) throw new RpcError(Status.INVALID_ARGUMENT, "too large");
          return computeService.fibonacci(request, undefined as never);
        },
      });
      const client = createClient(ComputeServiceDefinition, createDemux(caller!), { peer: "a_worker" });
      for (let i = 0; i < 20; i++) await client.fibonacci({ n: i });
      await expect(client.fibonacci({ n: 91 })).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
      for (let i = 0; i < 5; i++) await client.echo({ payload: new Uint8Array(8) });
      const scrape = async () => (await fetch(`http://127.0.0.1:${http.port}/metrics`)).text();
      // the counters agree with the hub's own per-agent figures once the last frames are in
      const text = await waitFor(scrape, {
        what: "the caller's bytes on /metrics to be the caller's own",
        until: (body) => sample(body, "swarm_hub_agent_bytes_received_total", { agent: "a_worker" }) === worker!.stats().bytesSent,
      });
      // agents: a_worker and b_caller got labels (the first two seen), c_idle and d_idle share "other"
      expect(labelValues(text, "swarm_hub_agent_messages_received_total", "agent")).toEqual(["a_worker", "b_caller", "other"]);
      expect(sample(text, "swarm_hub_agent_messages_received_total", { agent: "b_caller" })).toBeGreaterThanOrEqual(26);
      expect(sample(text, "swarm_hub_agent_calls_in_flight", { agent: "a_worker", role: "serving" })).toBe(0);
      // methods: Fibonacci was first; Echo goes to "other"
      expect(labelValues(text, "swarm_hub_rpc_calls_total", "method")).toEqual(["/swarm.examples.v1.ComputeService/Fibonacci", "other"]);
      expect(sample(text, "swarm_hub_rpc_calls_total", { method: "/swarm.examples.v1.ComputeService/Fibonacci", code: "ok" })).toBe(20);
      expect(sample(text, "swarm_hub_rpc_calls_total", { method: "/swarm.examples.v1.ComputeService/Fibonacci", code: "invalid_argument" })).toBe(1);
      expect(sample(text, "swarm_hub_rpc_calls_total", { method: "other", code: "ok" })).toBe(5);
      expect(sample(text, "swarm_hub_rpc_duration_seconds_count", { method: "/swarm.examples.v1.ComputeService/Fibonacci" })).toBe(21);
      expect(sample(text, "swarm_hub_rpc_duration_seconds_bucket", { method: "other", le: "+Inf" })).toBe(5);
      expect(sample(text, "swarm_hub_rpc_in_flight", { method: "other" })).toBe(0);
      expect(text).toMatch(/^# TYPE swarm_hub_rpc_duration_seconds histogram$/m);
      // an agent leaving takes its series with it; "other" stays
      await agents[2]!.close();
      await waitFor(() => hub.agents().length, { what: "c_idle to be gone", until: (n) => n === 3 });
      expect(labelValues(await scrape(), "swarm_hub_agent_messages_received_total", "agent")).toEqual(["a_worker", "b_caller", "other"]);
      await agents[0]!.close();
      await waitFor(() => hub.agents().length, { what: "a_worker to be gone", until: (n) => n === 2 });
      expect(labelValues(await scrape(), "swarm_hub_agent_messages_received_total", "agent")).toEqual(["b_caller", "other"]);
    } finally {
      await Promise.all(agents.map((agent) => agent.close()));
      await hub.close();
    }
  });

  it("gives a method name longer than a label may be no label of its own", async () => {
    const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" }, { heartbeatIntervalMs: 0 });
    const calls = hub.callStats({ maxMethods: 10 });
    const [server, caller] = [await WebSocketTransport.client({ url: hub.url, agentId: "server" }), await WebSocketTransport.client({ url: hub.url, agentId: "caller" })];
    try {
      const long = "m".repeat(257);
      createServer(createDemux(server)).addMethod(long, () => "ok").addMethod("short", () => "ok");
      const demux = createDemux(caller);
      expect(await callMethod(demux, "server", long, {})).toBe("ok");
      expect(await callMethod(demux, "server", "short", {})).toBe("ok");
      expect(calls.methods().map((method) => [method.method, method.codes[0]])).toEqual([
        ["other", 1],
        ["short", 1],
      ]);
    } finally {
      await Promise.all([server.close(), caller.close()]);
      await hub.close();
    }
  });
});
