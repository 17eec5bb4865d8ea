/**
 * Main thread ↔ worker thread: one-way messages/s (32 B – 1 MiB payloads), sequential round
 * trips and 64 concurrent calls, over the shared-memory transport and, in the same run, over a
 * MessagePort (postMessage, structured clone of the same envelope) and comlink. One-way ops are
 * bursts ended by an acknowledgement; records report messages/s and per-message p50/p99.
 */
import { MessageChannel, type Worker } from "node:worker_threads";
import * as Comlink from "comlink";
import { ComputeServiceDefinition } from "../src/cli/example-service.js";
import { type Client, createClient, createDemux, Message, SharedMemorySegment, SharedMemoryTransport } from "../src/index.js";
import { spawnSharedMemoryWorker } from "../src/node.js";
import { startBareRing } from "./bare-ring.js";
import { measurePair, warmUp, type Measurement } from "./harness.js";
import type { BenchWorkerData } from "./shared-memory-worker.js";
import { benchName, type Benchmark, type BenchPattern, type BenchRecord } from "./types.js";

const MiB = 1024 * 1024;

interface Rig {
  transport: SharedMemoryTransport;
  port: import("node:worker_threads").MessagePort;
  remote: Comlink.Remote<{ echo(value: unknown): unknown }>;
  /** A typed client of the worker's ComputeService, on its own endpoint. */
  compute: Client<typeof ComputeServiceDefinition>;
  close(): Promise<void>;
}

async function startRig(): Promise<Rig> {
  const segment = SharedMemorySegment.create({ name: "bench", size: 40 * MiB, ringBufferSize: 8 * MiB, maxEndpoints: 4 });
  const config = { maxMessageSize: 4 * MiB };
  const transport = await SharedMemoryTransport.attach(segment, "main", config);
  const rpcTransport = await SharedMemoryTransport.attach(segment, "main-rpc", config);
  const channel = new MessageChannel();
  const comlinkChannel = new MessageChannel();
  const workerData: BenchWorkerData = { port: channel.port2, comlinkPort: comlinkChannel.port2, config };
  const worker: Worker = spawnSharedMemoryWorker(new URL("./shared-memory-worker.js", import.meta.url), segment, {
    workerData,
    transferList: [channel.port2, comlinkChannel.port2],
  });
  await new Promise((resolve) => channel.port1.once("message", resolve));
  const remote = Comlink.wrap<{ echo(value: unknown): unknown }>(comlinkChannel.port1 as unknown as Comlink.Endpoint);
  const compute = createClient(ComputeServiceDefinition, createDemux(rpcTransport), { peer: "worker-rpc" });
  return {
    transport,
    port: channel.port1,
    remote,
    compute,
    async close() {
      remote[Comlink.releaseProxy]();
      await rpcTransport.close();
      await transport.close();
      channel.port1.close();
      comlinkChannel.port1.close();
      await worker.terminate();
      segment.close();
    },
  };
}

/** Warms both sides up before the first round (the worker's decode path and structured clone need a few hundred ms of traffic). */
async function warmUpBoth(ops: (() => unknown)[]): Promise<void> {
  for (const op of ops) await warmUp(op);
}

function payload(bytes: number): Uint8Array {
  return new Uint8Array(bytes).fill(0x5a);
}

/** Messages per burst: enough to amortise the acknowledgement, at most ~4 MiB in flight. */
function burstSize(bytes: number): number {
  return Math.max(1, Math.min(1000, Math.floor((4 * MiB) / bytes)));
}

async function oneWay(payloadBytes: number, quick: boolean): Promise<BenchRecord> {
  const rig = await startRig();
  try {
    const burst = burstSize(payloadBytes);
    const { transport, port } = rig;
    const message = Message.event("main", "bench.tick", payload(payloadBytes));
    const ack = Message.event("main", "ack");
    // ours: a burst of full envelopes through the ring, then one acknowledgement back.
    const ours = async () => {
      for (let i = 0; i < burst; i++) await transport.send("worker", message);
      await transport.send("worker", ack);
      await transport.receive();
    };
    // peer: the same envelope object, structured-cloned through a MessagePort.
    const envelope = message.envelope;
    const peer = () =>
      new Promise<void>((resolve) => {
        for (let i = 0; i < burst; i++) port.postMessage(envelope);
        port.once("message", () => resolve());
        port.postMessage({ ack: true });
      });
    await warmUpBoth([ours, peer]);
    const [m, p] = await measurePair(ours, peer, { quick, batch: Math.max(1, Math.ceil(100 / burst)), latencyCount: latencyBursts(payloadBytes, burst, quick) });
    return record("one-way", payloadBytes, perMessage(m, burst), perMessage(p!, burst), "postMessage");
  } finally {
    await rig.close();
  }
}

function latencyBursts(payloadBytes: number, burst: number, quick: boolean): number {
  // Keep each latency pass to about 1 GiB (quick: 256 MiB) moved.
  const budget = (quick ? 256 : 1024) * MiB;
  return Math.max(20, Math.min(quick ? 2000 : 10_000, Math.floor(budget / (payloadBytes * burst))));
}

function perMessage(m: Measurement, burst: number): Measurement {
  return { opsPerSec: m.opsPerSec * burst, p50Us: m.p50Us / burst, p99Us: m.p99Us / burst };
}

async function unarySeq(payloadBytes: number, quick: boolean, peerName: "postMessage" | "comlink"): Promise<BenchRecord> {
  const rig = await startRig();
  try {
    const { transport, port, remote } = rig;
    const body = payload(payloadBytes);
    const request = Message.request("main", "echo", body);
    const ours = async () => {
      await transport.send("worker", request);
      await transport.receive();
    };
    const viaPort = () =>
      new Promise<void>((resolve) => {
        port.once("message", () => resolve());
        port.postMessage({ echo: request.envelope });
      });
    const viaComlink = () => remote.echo(request.envelope);
    const peer = peerName === "comlink" ? viaComlink : viaPort;
    await warmUpBoth([ours, peer]);
    const [m, p] = await measurePair(ours, peer, { quick });
    const result = record("unary-seq", payloadBytes, m, p!, peerName);
    return peerName === "comlink" ? { ...result, name: `${result.name}/vs-comlink` } : result;
  } finally {
    await rig.close();
  }
}

/**
 * Raw request/response through the transport against the anchor (bench/bare-ring.ts): the same
 * 32-byte round trip on two bare rings, both sides spinning. The ratio says how close the
 * transport's round trip is to what shared memory allows on this machine.
 */
async function unarySeqVsBareRing(payloadBytes: number, quick: boolean): Promise<BenchRecord> {
  const rig = await startRig();
  const anchor = await startBareRing(payload(payloadBytes));
  try {
    const { transport } = rig;
    const request = Message.request("main", "echo", payload(payloadBytes));
    const ours = async () => {
      await transport.send("worker", request);
      await transport.receive();
    };
    await warmUpBoth([ours, anchor.roundTrip]);
    const [m, p] = await measurePair(ours, anchor.roundTrip, { quick });
    const result = record("unary-seq", payloadBytes, m, p!, "bare-ring");
    return { ...result, name: `${result.name}/vs-bare-ring` };
  } finally {
    await anchor.close();
    await rig.close();
  }
}

/** Typed unary RPC (ComputeService.echo) over the shared-memory transport vs a comlink call. */
async function typedRpcSeq(payloadBytes: number, quick: boolean): Promise<BenchRecord> {
  const rig = await startRig();
  try {
    const request = { payload: payload(payloadBytes) };
    const ours = () => rig.compute.echo(request);
    const peer = () => rig.remote.echo(request);
    await warmUpBoth([ours, peer]);
    const [m, p] = await measurePair(ours, peer, { quick });
    const result = record("unary-seq", payloadBytes, m, p!, "comlink");
    return { ...result, name: `${result.name}/typed-rpc-vs-comlink` };
  } finally {
    await rig.close();
  }
}

/** 64 calls in flight at once: one op sends 64 requests and takes the 64 responses. */
async function unaryC64(payloadBytes: number, quick: boolean, peerName: "postMessage" | "comlink"): Promise<BenchRecord> {
  const rig = await startRig();
  const concurrency = 64;
  try {
    const { transport, port, remote } = rig;
    const request = Message.request("main", "echo", payload(payloadBytes));
    const ours = async () => {
      for (let i = 0; i < concurrency; i++) await transport.send("worker", request);
      for (let i = 0; i < concurrency; i++) await transport.receive();
    };
    const viaPort = () =>
      new Promise<void>((resolve) => {
        let left = concurrency;
        const onMessage = () => {
          if (--left === 0) {
            port.off("message", onMessage);
            resolve();
          }
        };
        port.on("message", onMessage);
        for (let i = 0; i < concurrency; i++) port.postMessage({ echo: request.envelope });
      });
    const viaComlink = () => Promise.all(Array.from({ length: concurrency }, () => remote.echo(request.envelope)));
    const peer = peerName === "comlink" ? viaComlink : viaPort;
    await warmUpBoth([ours, peer]);
    const [m, p] = await measurePair(ours, peer, { quick, batch: 20, latencyCount: quick ? 1000 : 5000 });
    // ops/s counts calls; p50/p99 are of a whole batch, i.e. a call's latency with 64 in flight.
    const scale = (x: Measurement): Measurement => ({ ...x, opsPerSec: x.opsPerSec * concurrency });
    const result = record("unary-c64", payloadBytes, scale(m), scale(p!), peerName);
    return peerName === "comlink" ? { ...result, name: `${result.name}/vs-comlink` } : result;
  } finally {
    await rig.close();
  }
}

function record(pattern: BenchPattern, payloadBytes: number, m: Measurement, p: Measurement, peer: string): BenchRecord {
  return {
    name: benchName("shared-memory", pattern, payloadBytes),
    transport: "shared-memory",
    pattern,
    payloadBytes,
    opsPerSec: m.opsPerSec,
    p50Us: m.p50Us,
    p99Us: m.p99Us,
    peer,
    peerOpsPerSec: p.opsPerSec,
    ratio: m.opsPerSec / p.opsPerSec,
  };
}

export const benchmarks: Benchmark[] = [
  ...[32, 1024, 64 * 1024, MiB].map((bytes) => ({ name: benchName("shared-memory", "one-way", bytes), run: (c: { quick: boolean }) => oneWay(bytes, c.quick) })),
  { name: benchName("shared-memory", "unary-seq", 32), run: (c) => unarySeq(32, c.quick, "postMessage") },
  { name: `${benchName("shared-memory", "unary-seq", 32)}/vs-comlink`, run: (c) => unarySeq(32, c.quick, "comlink") },
  { name: `${benchName("shared-memory", "unary-seq", 32)}/typed-rpc-vs-comlink`, run: (c) => typedRpcSeq(32, c.quick) },
  { name: `${benchName("shared-memory", "unary-seq", 32)}/vs-bare-ring`, run: (c) => unarySeqVsBareRing(32, c.quick) },
  { name: benchName("shared-memory", "unary-c64", 32), run: (c) => unaryC64(32, c.quick, "postMessage") },
  { name: `${benchName("shared-memory", "unary-c64", 32)}/vs-comlink`, run: (c) => unaryC64(32, c.quick, "comlink") },
];
