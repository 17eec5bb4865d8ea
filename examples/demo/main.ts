// `npm start`: a demonstration swarm on embedded defaults. A WebSocket hub; agents in-process,
// in worker threads over shared memory, and in a separate process over WebSocket; a
// coordinator hands out typed RPC tasks (Fibonacci, streamed CountTo) on every transport,
// agents publish progress events, the coordinator broadcasts an announcement (each agent
// acknowledges it). A table shows each transport: redrawn live on a terminal, a line per second
// otherwise (a pipe, a CI log); a summary ends the run. Exits 0 by itself; Ctrl-C stops early.
//
//   npm start                      20 seconds, live table
//   npm start -- --duration 5      shorter
//   npm start -- --plain           a line per second even on a terminal, and a SUMMARY JSON line
//   npm start -- --nats            scale-out: a local 3-node NATS cluster (Debian's nats-server),
//                                  two hubs on it as backplane (the network agent on one, the
//                                  coordinator on the other), and agents on NATS directly
import "reflect-metadata"; // tsyringe needs it before it loads
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { parseArgs } from "node:util";
import type { Worker } from "node:worker_threads";
import { serveComputeAgent, ComputeServiceDefinition, type ComputeAgent } from "../../src/cli/example-service.js";
import {
  createClient,
  createDemux,
  createPubSub,
  Message,
  SharedMemorySegment,
  type Client,
  type PubSub,
  type Transport,
} from "../../src/index.js";
import { container as rootContainer } from "tsyringe";
import { registerSwarmTransport, TransportFactory } from "../../src/di/index.js";
import { createNodeTransportRegistry, findNatsServer, spawnSharedMemoryWorker, startNatsCluster, WebSocketTransport, type NatsCluster } from "../../src/node.js";
import { LaneStats } from "./latency.js";
import { renderHeader, renderRow, renderTable, type Lane } from "./table.js";

const { values } = parseArgs({ options: { duration: { type: "string", default: "20" }, plain: { type: "boolean", default: false }, nats: { type: "boolean", default: false } } });
const durationS = Number(values.duration);
if (!Number.isFinite(durationS) || durationS <= 0) {
  console.error(`--duration must be a positive number of seconds, got ${values.duration}`);
  process.exit(2);
}
const live = !values.plain && process.stdout.isTTY === true;
const log = (line: string) => {
  if (!live) console.log(line);
};
const IN_FLIGHT_PER_LANE = 8;

const stop = new AbortController();
process.once("SIGINT", () => stop.abort());
process.once("SIGTERM", () => stop.abort());

// --- the swarm ---------------------------------------------------------------------------
// --nats: a local NATS cluster; the network agent sits on a second hub, so the websocket lane
// crosses hubs through the NATS backplane, and a "nats" lane talks to agents on NATS directly.
let cluster: NatsCluster | undefined;
if (values.nats) {
  if (findNatsServer() === undefined) {
    console.error("--nats needs nats-server (Debian: apt-get install -y nats-server)");
    process.exit(2);
  }
  cluster = await startNatsCluster({ nodes: 3 });
  log(`NATS cluster of 3 nodes: ${cluster.url}`);
}
const backplane = cluster === undefined ? {} : { nats: { servers: cluster.url } };
const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId: "hub_a", ...backplane });
const agentHub = cluster === undefined ? hub : await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId: "hub_b", ...backplane });
log(`hub listening on ${hub.url}${agentHub === hub ? "" : `; second hub on ${agentHub.url}, both on the NATS backplane`}`);

// Every endpoint is chosen by URL through the container: inproc://, shm:// and ws:// alike.
const segment = SharedMemorySegment.create({ name: "demo_swarm", size: 16 * 1024 * 1024, ringBufferSize: 1024 * 1024 });
const container = registerSwarmTransport({ createRegistry: (options) => createNodeTransportRegistry({ ...options, segments: [segment] }) }, rootContainer.createChildContainer());
const transports = container.resolve(TransportFactory);

const coordinatorInProcess = await transports.connect("inproc://demo", "coordinator");
const inProcessEndpoints = await Promise.all(["inproc_1", "inproc_2"].map((id) => transports.connect("inproc://demo", id)));
const inProcessAgents: ComputeAgent[] = inProcessEndpoints.map((endpoint) => serveComputeAgent(endpoint, endpoint.localAddress, { progressEvery: 500 }));

const coordinatorShm = await transports.connect("shm://demo_swarm", "coordinator");
const workers: Worker[] = ["shm_1", "shm_2"].map((id) =>
  spawnSharedMemoryWorker(new URL("./shm-agent.mjs", import.meta.url), segment, { workerData: { id } }),
);
await Promise.all(workers.map((worker) => once(worker, "message")));
log("shared-memory agents shm_1, shm_2 ready in worker threads");

const networkAgent: ChildProcess = spawn(
  process.execPath,
  ["--import", "tsx", new URL("../../src/cli/main.ts", import.meta.url).pathname, "agent", "--hub", agentHub.url, "--id", "net_1", "--progress-every", "200"],
  { stdio: ["ignore", "pipe", "inherit"] },
);
await new Promise<void>((resolve, reject) => {
  let output = "";
  networkAgent.stdout!.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes("connected")) resolve();
  });
  networkAgent.once("exit", (code) => reject(new Error(`the network agent exited (${code}) before connecting`)));
});
const coordinatorWs = await transports.connect(hub.url, "coordinator");
log(`network agent net_1 connected over WebSocket (a separate process${agentHub === hub ? "" : ", on the second hub"})`);

// --nats: agents on the NATS cluster directly (each on its own node), and the coordinator there too
const natsEndpoints: Transport[] = [];
const natsAgents: ComputeAgent[] = [];
if (cluster !== undefined) {
  const nodeUrls = cluster.nodes.map((node) => node.url);
  for (const [i, id] of ["nats_1", "nats_2"].entries()) {
    const endpoint = await transports.connect(`${nodeUrls[(i + 1) % 3]},${nodeUrls[(i + 2) % 3]}`, id, { config: { noRandomize: true } });
    natsEndpoints.push(endpoint);
    natsAgents.push(serveComputeAgent(endpoint, id, { progressEvery: 500 }));
  }
  natsEndpoints.push(await transports.connect(cluster.url, "coordinator_nats"));
  log("agents nats_1, nats_2 on NATS directly");
}

interface RunningLane extends Lane {
  readonly clients: Client<typeof ComputeServiceDefinition>[];
  readonly bus: PubSub;
}

function lane(name: string, transport: Transport, agents: string[]): RunningLane {
  const stats = new LaneStats(name);
  const demux = createDemux(transport);
  const bus = createPubSub(demux);
  bus.subscribe("progress.>", () => void stats.events++);
  bus.onError((failure) => stats.fail(failure.error));
  const clients = agents.map((peer) => createClient(ComputeServiceDefinition, demux, { peer, timeoutMs: 5000 }));
  return { stats, transport, agents, clients, bus };
}

const lanes: RunningLane[] = [
  lane("in-process", coordinatorInProcess, ["inproc_1", "inproc_2"]),
  lane("shared-memory", coordinatorShm, ["shm_1", "shm_2"]),
  lane(cluster === undefined ? "websocket" : "websocket-2-hubs", coordinatorWs, ["net_1"]),
  ...(cluster === undefined ? [] : [lane("nats", natsEndpoints[2]!, ["nats_1", "nats_2"])]),
];

// Announce the start everywhere and wait until every agent has acknowledged it: the
// acknowledgement (an event on announced.<agent>) also shows that the agent knows the
// coordinator's subscriptions, so its progress events will reach us.
const ANNOUNCEMENT_TIMEOUT_MS = 10_000;
const notes: string[] = [];
const acknowledged = new Map<string, string>(); // agent -> transport
const everyAgent = lanes.reduce((n, l) => n + l.agents.length, 0);
let allAcknowledged!: () => void;
const announced = new Promise<void>((resolve) => (allAcknowledged = resolve));
for (const l of lanes) {
  l.bus.subscribe("announced.>", (event) => {
    if (acknowledged.has(event.from)) return;
    acknowledged.set(event.from, l.stats.name);
    log(`announcement announce.start reached ${event.from} over ${l.stats.name}`);
    if (acknowledged.size === everyAgent) allAcknowledged();
  });
}
await Promise.all(lanes.map((l) => l.bus.broadcast(Message.broadcast("coordinator", "announce.start", { durationS, lanes: lanes.length }))));
const announceDeadline = setTimeout(allAcknowledged, ANNOUNCEMENT_TIMEOUT_MS);
await announced;
clearTimeout(announceDeadline);
const missing = lanes.flatMap((l) => l.agents).filter((agent) => !acknowledged.has(agent));
notes.push(
  missing.length === 0
    ? `announcement announce.start reached all ${everyAgent} agents`
    : `announcement announce.start: no acknowledgement from ${missing.join(", ")} within ${ANNOUNCEMENT_TIMEOUT_MS} ms`,
);
log(notes[0]!);

// --- the work ------------------------------------------------------------------------------
const deadline = performance.now() + durationS * 1000;
const running = () => !stop.signal.aborted && performance.now() < deadline;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function worker(l: RunningLane, offset: number): Promise<void> {
  for (let task = offset; running(); task += IN_FLIGHT_PER_LANE) {
    // In-process calls complete in microtasks and would never let sockets and workers run:
    // every few tasks, every lane gives the event loop a turn.
    if (task % (IN_FLIGHT_PER_LANE * 16) < IN_FLIGHT_PER_LANE) await yieldToEventLoop();
    const client = l.clients[task % l.clients.length]!;
    const started = performance.now();
    try {
      if (task % 50 === 0) {
        let last = 0;
        for await (const tick of client.countTo({ n: 10, delayMs: 0 })) last = tick.value;
        if (last !== 10) throw new Error(`countTo ended at ${last}`);
      } else {
        const n = task % 40;
        const { value } = await client.fibonacci({ n });
        if (n === 30 && value !== 832040) throw new Error(`fibonacci(30) = ${value}`);
      }
      l.stats.record(performance.now() - started);
    } catch (error) {
      l.stats.fail(error);
    }
  }
}

const started = performance.now();
if (!live) log(renderHeader(lanes));
const refresh = setInterval(() => {
  for (const l of lanes) l.stats.tick();
  const elapsed = (performance.now() - started) / 1000;
  if (live) process.stdout.write(`\x1b[H\x1b[2J${renderTable(lanes, elapsed, durationS, notes)}\n`);
  else log(renderRow(lanes, elapsed));
}, live ? 500 : 1000);
await Promise.all(lanes.flatMap((l) => Array.from({ length: IN_FLIGHT_PER_LANE }, (_, i) => worker(l, i))));
clearInterval(refresh);
await new Promise((resolve) => setTimeout(resolve, 100)); // the last progress events

// --- summary and a clean shutdown ---------------------------------------------------------------
const elapsedS = (performance.now() - started) / 1000;
for (const l of lanes) l.stats.tick();
if (live) process.stdout.write(`\x1b[H\x1b[2J${renderTable(lanes, elapsedS, durationS, notes)}\n`);
const summary = lanes.map((l) => {
  const { p50Us, p99Us } = l.stats.percentiles();
  return {
    transport: l.stats.name,
    agents: l.agents.length,
    calls: l.stats.calls,
    callsPerSec: Math.round(l.stats.calls / elapsedS),
    p50Us: Math.round(p50Us * 10) / 10,
    p99Us: Math.round(p99Us * 10) / 10,
    events: l.stats.events,
    errors: l.stats.errors,
    reconnections: l.transport.stats().reconnections,
    acknowledged: l.agents.filter((agent) => acknowledged.has(agent)).length,
    ...(l.stats.lastError === "" ? {} : { lastError: l.stats.lastError }),
  };
});
console.log(`\nsummary after ${elapsedS.toFixed(1)} s${stop.signal.aborted ? " (stopped early)" : ""}:`);
for (const s of summary) {
  console.log(
    `  ${s.transport.padEnd(14)} ${String(s.calls).padStart(9)} calls  ${String(s.callsPerSec).padStart(7)}/s  p50 ${s.p50Us} µs  p99 ${s.p99Us} µs  ${s.events} events  ${s.errors} errors`,
  );
}
if (values.plain) console.log(`SUMMARY ${JSON.stringify(summary)}`); // machine-readable, for scripts and tests

for (const l of lanes) await l.bus.close();
await Promise.all(inProcessAgents.map((a) => a.close()));
await Promise.all([coordinatorInProcess, ...inProcessEndpoints].map((endpoint) => endpoint.close()));
for (const w of workers) w.postMessage("stop");
await Promise.all(workers.map((w) => once(w, "exit")));
await coordinatorShm.close();
segment.close();
await coordinatorWs.close();
networkAgent.kill("SIGTERM");
await once(networkAgent, "exit");
await Promise.all(natsAgents.map((a) => a.close()));
await Promise.all(natsEndpoints.map((endpoint) => endpoint.close()));
if (agentHub !== hub) await agentHub.close();
await hub.close();
await cluster?.close();
const failed = summary.some((s) => s.errors > 0 || s.calls === 0);
process.exit(failed ? 1 : 0);
