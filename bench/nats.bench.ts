/**
 * NATS: our transport, typed RPC and pub/sub over one local nats-server (Debian's binary, a
 * separate process), against raw `@nats-io/transport-node` code doing the same job on the same
 * server in the same run (peer "nats"): bare payload bytes, no envelope.
 *
 * - one-way/32B: A → B pipelined 64 deep (one op = one message sent and, once 64 are in
 *   flight, one received); raw: publish → a subscription's callback.
 * - unary-seq / unary-c64 /64B/rpc: typed `Echo` calls, 1 or 64 in flight; raw: `nc.request`
 *   to a responder that echoes. A second c64 record compares with @grpc/grpc-js (rpc.bench.ts).
 * - fan-out-100/64B: bursts of 16 events to 100 subscribers (ops/s = events delivered per
 *   second); raw: the same bytes published to 100 subscriptions on 100 connections.
 * - websocket-nats/unary-c64/64B/rpc: typed `Echo` calls, 64 in flight, from an agent on hub A
 *   to an agent on hub B, the hubs (in a worker thread) joined by the NATS backplane; peer
 *   grpc-js, as websocket/unary-c64/64B/rpc (one hub) in rpc.bench.ts, to read beside it.
 * Agents and raw clients run in this thread; the server is its own process.
 */
import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { computeService, ComputeServiceDefinition } from "../src/cli/example-service.js";
import type { EchoRequest } from "../generated/swarm/examples/v1/compute.js";
import { createClient, createDemux, createPubSub, createServer, Message, type PubSub } from "../src/index.js";
import { startNatsCluster, type NatsCluster } from "../src/node.js";
import { NatsTransport } from "../src/transports/nats/nats-transport.js";
import { WebSocketTransport } from "../src/node.js";
import type { GrpcTask } from "./grpc-worker.js";
import { alternate, measureConcurrentOnce, measureOnce, measurePair, type Measurement } from "./harness.js";
import { benchName, type Benchmark, type BenchPattern, type BenchRecord } from "./types.js";

const WINDOW = 64;
const BURST = 16;
const CONFIG = { heartbeatIntervalMs: 0, enableCompression: false } as const;

async function withServer<T>(run: (cluster: NatsCluster) => Promise<T>): Promise<T> {
  const cluster = await startNatsCluster({ nodes: 1 });
  try {
    return await run(cluster);
  } finally {
    await cluster.close();
  }
}

function record(name: string, pattern: BenchPattern, payloadBytes: number, m: Measurement, p: Measurement, peer = "nats"): BenchRecord {
  return { name, transport: "nats", pattern, payloadBytes, opsPerSec: m.opsPerSec, p50Us: m.p50Us, p99Us: m.p99Us, peer, peerOpsPerSec: p.opsPerSec, ratio: m.opsPerSec / p.opsPerSec };
}

/** An awaitable count of deliveries. */
class Arrivals {
  count = 0;
  #target = Infinity;
  #resolve: (() => void) | undefined;
  add(): void {
    if (++this.count >= this.#target && this.#resolve !== undefined) {
      const resolve = this.#resolve;
      this.#resolve = undefined;
      resolve();
    }
  }
  until(target: number): Promise<void> {
    if (this.count >= target) return Promise.resolve();
    this.#target = target;
    return new Promise((resolve) => (this.#resolve = resolve));
  }
}

async function oneWay(quick: boolean): Promise<BenchRecord> {
  return withServer(async (cluster) => {
    const a = await NatsTransport.connect({ servers: cluster.url, agentId: "bench_a" }, CONFIG);
    const b = await NatsTransport.connect({ servers: cluster.url, agentId: "bench_b" }, CONFIG);
    const message = Message.event("bench_a", "bench.tick", new Uint8Array(32).fill(0x5a));
    await a.send("bench_b", message); // learns bench_b's window
    await b.receive();
    let oursInFlight = 0;
    const ours = async () => {
      await a.send("bench_b", message);
      if (++oursInFlight >= WINDOW) {
        if (b.tryReceive() === undefined) await b.receive();
        oursInFlight--;
      }
    };
    const pub = await connect({ servers: cluster.url });
    const sub = await connect({ servers: cluster.url });
    const arrivals = new Arrivals();
    sub.subscribe("raw.one-way", { callback: () => arrivals.add() });
    await sub.flush();
    const bytes = new Uint8Array(32).fill(0x5a);
    let sent = 0;
    const peer = async () => {
      pub.publish("raw.one-way", bytes);
      if (++sent - arrivals.count >= WINDOW) await arrivals.until(sent - WINDOW + 1);
    };
    const [m, p] = await measurePair(ours, peer, { quick });
    for (; oursInFlight > 0; oursInFlight--) await b.receive();
    await arrivals.until(sent);
    await Promise.all([a.close(), b.close(), pub.close(), sub.close()]);
    return record(benchName("nats", "one-way", 32), "one-way", 32, m, p!);
  });
}

/** Typed Echo calls over NATS against raw request/reply on the same server. */
async function unary(pattern: "unary-seq" | "unary-c64", concurrency: number, quick: boolean): Promise<BenchRecord> {
  return withServer(async (cluster) => {
    const server = await NatsTransport.connect({ servers: cluster.url, agentId: "bench_server" }, CONFIG);
    const client = await NatsTransport.connect({ servers: cluster.url, agentId: "bench_client" }, CONFIG);
    createServer(createDemux(server)).add(ComputeServiceDefinition, computeService);
    const compute = createClient(ComputeServiceDefinition, createDemux(client), { peer: "bench_server" });
    const request: EchoRequest = { payload: new Uint8Array(64).fill(7) };
    const ours = () => compute.echo(request);
    const { peer, close } = await rawRequestReply(cluster);
    const measure = (op: () => Promise<unknown>) => (concurrency === 1 ? measureOnce(op, { quick }, 200) : measureConcurrentOnce(op, concurrency, { quick }));
    const [m, p] = await alternate(quick ? 1 : 3, () => measure(ours), () => measure(peer));
    await Promise.all([client.close(), server.close(), close()]);
    return record(`${benchName("nats", pattern, 64)}/rpc`, pattern, 64, m, p);
  });
}

async function rawRequestReply(cluster: NatsCluster): Promise<{ peer: () => Promise<unknown>; close: () => Promise<void> }> {
  const responder: NatsConnection = await connect({ servers: cluster.url });
  const requester: NatsConnection = await connect({ servers: cluster.url });
  responder.subscribe("raw.echo", { callback: (_error, msg) => void msg.respond(msg.data) });
  await responder.flush();
  const bytes = new Uint8Array(64).fill(7);
  return { peer: () => requester.request("raw.echo", bytes, { timeout: 10_000 }), close: async () => void (await Promise.all([responder.close(), requester.close()])) };
}

/** The grpc-js peer in a worker thread (bench/grpc-worker.ts). */
async function grpcWorker() {
  const worker = new Worker(new URL("./grpc-worker.js", import.meta.url));
  const [ready] = (await once(worker, "message")) as [unknown];
  if (ready !== "ready") throw new Error(`grpc worker failed to start: ${String(ready)}`);
  return {
    async measure(task: GrpcTask): Promise<Measurement> {
      worker.postMessage(task);
      const [reply] = (await once(worker, "message")) as [{ measurement?: Measurement; error?: string }];
      if (reply.error !== undefined) throw new Error(`grpc peer: ${reply.error}`);
      return reply.measurement!;
    },
    async close(): Promise<void> {
      worker.postMessage("close");
      await once(worker, "exit");
    },
  };
}

async function unaryVsGrpc(quick: boolean): Promise<BenchRecord> {
  return withServer(async (cluster) => {
    const server = await NatsTransport.connect({ servers: cluster.url, agentId: "bench_server" }, CONFIG);
    const client = await NatsTransport.connect({ servers: cluster.url, agentId: "bench_client" }, CONFIG);
    createServer(createDemux(server)).add(ComputeServiceDefinition, computeService);
    const compute = createClient(ComputeServiceDefinition, createDemux(client), { peer: "bench_server" });
    const request: EchoRequest = { payload: new Uint8Array(64).fill(7) };
    const grpc = await grpcWorker();
    try {
      const [m, p] = await alternate(
        quick ? 1 : 3,
        () => measureConcurrentOnce(() => compute.echo(request), 64, { quick }),
        () => grpc.measure({ kind: "unary", payloadBytes: 64, concurrency: 64, quick }),
      );
      return record(`${benchName("nats", "unary-c64", 64)}/rpc/vs-grpc`, "unary-c64", 64, m, p, "grpc-js");
    } finally {
      await Promise.all([client.close(), server.close(), grpc.close()]);
    }
  });
}

async function fanOut(subscribers: number, quick: boolean): Promise<BenchRecord> {
  return withServer(async (cluster) => {
    const payload = new Uint8Array(64).fill(0x2a);
    const transports: NatsTransport[] = [];
    for (const id of ["publisher", ...Array.from({ length: subscribers }, (_, i) => `sub_${i}`)]) {
      transports.push(await NatsTransport.connect({ servers: cluster.url, agentId: id }, CONFIG));
    }
    const buses: PubSub[] = transports.map((t) => createPubSub(createDemux(t)));
    const ours = new Arrivals();
    for (const bus of buses.slice(1)) bus.subscribe("bench.fanout", () => ours.add(), { maxPending: 10_000 });
    const publisher = buses[0]!;
    for (;;) {
      const before = ours.count;
      const reached = await publisher.publish(Message.event("publisher", "bench.fanout", payload));
      await ours.until(before + reached);
      if (reached === subscribers) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const oursOp = async () => {
      const target = ours.count + BURST * subscribers;
      const sends: Promise<number>[] = [];
      for (let i = 0; i < BURST; i++) sends.push(publisher.publish(Message.event("publisher", "bench.fanout", payload)));
      await Promise.all(sends);
      await ours.until(target);
    };
    const raw = new Arrivals();
    const rawSubs: NatsConnection[] = [];
    for (let i = 0; i < subscribers; i++) {
      const nc = await connect({ servers: cluster.url });
      nc.subscribe("raw.fanout", { callback: () => raw.add() });
      await nc.flush();
      rawSubs.push(nc);
    }
    const rawPub = await connect({ servers: cluster.url });
    const rawOp = async () => {
      const target = raw.count + BURST * subscribers;
      for (let i = 0; i < BURST; i++) rawPub.publish("raw.fanout", payload);
      await raw.until(target);
    };
    const options = { quick, latencyCount: quick ? 200 : 1000 };
    const [m, p] = await alternate(quick ? 1 : 3, () => measureOnce(oursOp, options, 20), () => measureOnce(rawOp, options, 20));
    const perEvent = (x: Measurement): Measurement => ({ ...x, opsPerSec: x.opsPerSec * BURST * subscribers });
    await Promise.all(buses.map((bus) => bus.close()));
    await Promise.all([...transports.map((t) => t.close()), ...rawSubs.map((nc) => nc.close()), rawPub.close()]);
    return { ...record(`nats/fan-out-${subscribers}/64B`, `fan-out-${subscribers}`, 64, perEvent(m), perEvent(p)) };
  });
}

/** Typed calls between agents on two hubs of a NATS backplane (hubs in a worker thread), against grpc-js. */
async function twoHubs(quick: boolean): Promise<BenchRecord> {
  return withServer(async (cluster) => {
    const worker = new Worker(new URL("./nats-hubs.worker.js", import.meta.url), { workerData: { natsUrl: cluster.url } });
    const [{ urls }] = (await once(worker, "message")) as [{ urls: string[] }];
    const server = await WebSocketTransport.client({ url: urls[1]!, agentId: "bench_server" }, { heartbeatIntervalMs: 0 });
    const client = await WebSocketTransport.client({ url: urls[0]!, agentId: "bench_client" }, { heartbeatIntervalMs: 0 });
    createServer(createDemux(server)).add(ComputeServiceDefinition, computeService);
    const compute = createClient(ComputeServiceDefinition, createDemux(client), { peer: "bench_server" });
    const request: EchoRequest = { payload: new Uint8Array(64).fill(7) };
    for (let tries = 0; ; tries++) {
      // hub A learns of bench_server through the backplane's presence: until then the call is UNAVAILABLE
      const ok = await compute.echo(request).then(() => true, () => false);
      if (ok) break;
      if (tries > 500) throw new Error("the agent on hub B never became reachable from hub A");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const grpc = await grpcWorker();
    try {
      const [m, p] = await alternate(
        quick ? 1 : 3,
        () => measureConcurrentOnce(() => compute.echo(request), 64, { quick }),
        () => grpc.measure({ kind: "unary", payloadBytes: 64, concurrency: 64, quick }),
      );
      return { ...record(`${benchName("websocket-nats", "unary-c64", 64)}/rpc`, "unary-c64", 64, m, p, "grpc-js"), transport: "websocket-nats" };
    } finally {
      await Promise.all([client.close(), server.close(), grpc.close()]);
      worker.postMessage("close");
      await once(worker, "message");
      await worker.terminate();
    }
  });
}

export const benchmarks: Benchmark[] = [
  { name: `${benchName("websocket-nats", "unary-c64", 64)}/rpc`, run: (c) => twoHubs(c.quick) },
  { name: benchName("nats", "one-way", 32), run: (c) => oneWay(c.quick) },
  { name: `${benchName("nats", "unary-seq", 64)}/rpc`, run: (c) => unary("unary-seq", 1, c.quick) },
  { name: `${benchName("nats", "unary-c64", 64)}/rpc`, run: (c) => unary("unary-c64", 64, c.quick) },
  { name: `${benchName("nats", "unary-c64", 64)}/rpc/vs-grpc`, run: (c) => unaryVsGrpc(c.quick) },
  { name: "nats/fan-out-100/64B", run: (c) => fanOut(100, c.quick) },
];
