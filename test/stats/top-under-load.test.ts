// `swarm-transport top --json`, a real process, against a hub under load: what it reports agrees
// with the agents' own stats (exactly, once the traffic has settled) and with itself (rates are
// the totals' differences over the interval; calls in flight within the load's concurrency).
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentStats, WatchResponse } from "../../generated/swarm/hub/v1/stats.js";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createClient, createDemux, createServer, type WebSocketClientTransport } from "../../src/index.js";
import { serveHubStats, WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import { waitFor } from "../helpers/wait-for.js";

const CONCURRENCY = 8;
/** Bytes that may be between the caller and the hub at any moment (frames on their way, well above what 8 calls of 1 KiB make). */
const IN_FLIGHT_BYTES = 64 * 1024;

/** Runs `swarm-transport top` as a user would; resolves with its snapshots once it exits. */
function top(url: string, args: string[]): Promise<WatchResponse[]> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "top", "--hub", url, "--id", "ops", "--json", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`top exited ${code}: ${stderr}`));
      else resolve(stdout.trim().split("\n").map((line) => JSON.parse(line) as WatchResponse));
    }),
  );
}

const row = (snapshot: WatchResponse, agent: string): AgentStats => {
  const found = snapshot.agents.find((candidate) => candidate.agentId === agent);
  expect(found, `${agent} in the snapshot`).toBeDefined();
  return found!;
};

describe("swarm-transport top --json against a hub under load", () => {
  let hub: WebSocketHub;
  let caller: WebSocketClientTransport;
  let worker: WebSocketClientTransport;
  let running = true;
  let completed = 0;
  let loops: Promise<void>[] = [];
  /** A call kept in flight through the first test: a stream the caller reads slowly. */
  let held: Promise<void> | undefined;
  const stopHeld = new AbortController();
  /** The caller's own byte counts, recorded every few ms while top runs: [Date.now(), sent, received]. */
  const record: [number, number, number][] = [];

  beforeAll(async () => {
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" }, { heartbeatIntervalMs: 0 });
    serveHubStats(hub, { watchers: ["ops"] });
    worker = await WebSocketTransport.client({ url: hub.url, agentId: "worker" }, { heartbeatIntervalMs: 0 });
    createServer(createDemux(worker)).add(ComputeServiceDefinition, computeService);
    caller = await WebSocketTransport.client({ url: hub.url, agentId: "caller" }, { heartbeatIntervalMs: 0 });
    const client = createClient(ComputeServiceDefinition, createDemux(caller), { peer: "worker" });
    const payload = new Uint8Array(1024).fill(7);
    loops = Array.from({ length: CONCURRENCY }, async () => {
      while (running) {
        await client.echo({ payload });
        completed++;
      }
    });
    held = (async () => {
      for await (const _ of client.countTo({ n: 1_000_000, delayMs: 20 }, { signal: stopHeld.signal })) void _;
    })().catch(() => undefined);
  });

  afterAll(async () => {
    stopHeld.abort();
    running = false;
    await Promise.allSettled(loops);
    await caller?.close();
    await worker?.close();
    await hub?.close();
  });

  it("under load: both agents busy, totals within what the agents sent and got, rates that are the totals' differences, calls in flight", async () => {
    await waitFor(() => completed, { what: "the load to start", until: (n) => n > 100 });
    const recorder = setInterval(() => record.push([Date.now(), caller.stats().bytesSent, caller.stats().bytesReceived]), 2);
    let snapshots: WatchResponse[];
    try {
      snapshots = await top(hub.url, ["--count", "4", "--interval", "200"]);
    } finally {
      clearInterval(recorder);
    }
    expect(snapshots).toHaveLength(4);
    for (const [i, snapshot] of snapshots.entries()) {
      const [atCaller, atWorker] = [row(snapshot, "caller"), row(snapshot, "worker")];
      expect(atCaller.state).toBe("open");
      // what the hub read from the caller by then: no more than the caller had sent just after,
      // no less than it had sent just before, less what may still be on its way
      const justBefore = record.filter(([at]) => at < snapshot.atMs).at(-1)!;
      const justAfter = record.find(([at]) => at > snapshot.atMs)!;
      expect(atCaller.bytesIn).toBeLessThanOrEqual(justAfter[1]);
      expect(atCaller.bytesIn).toBeGreaterThanOrEqual(justBefore[1] - IN_FLIGHT_BYTES);
      expect(atCaller.bytesOut).toBeGreaterThanOrEqual(justBefore[2]);
      expect(atCaller.bytesOut).toBeLessThanOrEqual(justAfter[2] + IN_FLIGHT_BYTES);
      // the held stream and the echo calls: each seen from both ends of the same call
      expect(atCaller.callsMaking).toBe(atWorker.callsServing);
      expect(atCaller.callsMaking).toBeGreaterThanOrEqual(1);
      expect(atCaller.callsMaking).toBeLessThanOrEqual(CONCURRENCY + 1);
      expect(atCaller.rttMs).toBeGreaterThanOrEqual(i === 0 ? -1 : 0);
      if (i === 0) continue;
      const previous = snapshots[i - 1]!;
      expect(snapshot.intervalS).toBeGreaterThan(0);
      for (const agent of ["caller", "worker"]) {
        const [now, then] = [row(snapshot, agent), row(previous, agent)];
        expect(now.messagesInPerS).toBeCloseTo((now.messagesIn - then.messagesIn) / snapshot.intervalS, 6);
        expect(now.bytesOutPerS).toBeCloseTo((now.bytesOut - then.bytesOut) / snapshot.intervalS, 6);
        expect(now.messagesInPerS, `${agent} busy`).toBeGreaterThan(0);
      }
    }
  });

  it("once the load stops and the traffic settles, its totals are the agents' own, exactly", async () => {
    running = false;
    stopHeld.abort();
    await Promise.all([...loops, held]);
    // settled: the first top's departure told (PeerGone to every agent, acknowledged), everything
    // each agent sent has reached the hub and the other way round; the next top's arrival sends
    // the agents nothing, so nothing moves until its snapshot is taken
    const settled = () =>
      !hub.agents().includes("ops") &&
      [caller, worker].every((agent) => {
        const info = hub.agentInfo(agent.localAddress)!;
        const own = agent.stats();
        // Acks owed either way are sent: the agent's (the hub's unackedMessages) and the hub's (ackOwed)
        return info.bytesIn === own.bytesSent && info.bytesOut === own.bytesReceived && info.unackedMessages === 0 && info.ackOwed === 0;
      });
    await waitFor(settled, { what: "the traffic between the hub and the agents to settle" });
    const owns = new Map([caller, worker].map((agent) => [agent, agent.stats()]));
    const [snapshot] = await top(hub.url, ["--count", "1"]);
    for (const agent of [caller, worker]) {
      const own = owns.get(agent)!;
      expect(row(snapshot!, agent.localAddress)).toMatchObject({
        state: "open",
        bytesIn: own.bytesSent,
        bytesOut: own.bytesReceived,
        unackedMessages: 0,
        reconnections: own.reconnections,
        callsServing: 0,
        callsMaking: 0,
        queuedBytes: 0,
      });
      // every message the agent sent or got was a frame the hub read or wrote (the hub counts control frames too)
      expect(row(snapshot!, agent.localAddress).messagesIn).toBeGreaterThanOrEqual(own.messagesSent);
      expect(row(snapshot!, agent.localAddress).messagesOut).toBeGreaterThanOrEqual(own.messagesReceived);
    }
    expect(row(snapshot!, "caller").messagesIn).toBeGreaterThan(completed);
    expect(snapshot!.hub!.messagesRouted).toBeGreaterThanOrEqual(2 * completed);
  });
});
