import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { computeService, ComputeServiceDefinition } from "../src/cli/example-service.js";
import type { EchoRequest } from "../generated/swarm/examples/v1/compute.js";
import { createClient, createDemux, createServer, InProcessTransport, type Transport } from "../src/index.js";
import { WebSocketTransport } from "../src/node.js";
import type { GrpcTask } from "./grpc-worker.js";
import { alternate, measureConcurrentOnce, measureOnce, ROUNDS, type Measurement } from "./harness.js";
import { benchName, type Benchmark, type BenchPattern, type BenchRecord, type BenchTransport } from "./types.js";

const PEER = "grpc-js";
const STREAM_LENGTH = 10_000;

/** The grpc-js peer, running in a worker thread (bench/grpc-worker.ts). */
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

/** Our client and server on `transport`: in-process, or two agents of a hub in a worker thread. */
async function ourCompute(transport: "in-process" | "websocket") {
  let client: Transport;
  let server: Transport;
  let closeFar = async () => undefined as unknown;
  if (transport === "in-process") {
    [client, server] = await InProcessTransport.createPair("bench_client", "bench_server");
  } else {
    const worker = new Worker(new URL("./websocket-hub.worker.js", import.meta.url));
    const [{ hubUrl }] = (await once(worker, "message")) as [{ hubUrl: string }];
    closeFar = async () => {
      worker.postMessage("close");
      await once(worker, "message");
      await worker.terminate();
    };
    server = await WebSocketTransport.client({ url: hubUrl, agentId: "bench_server" }, { heartbeatIntervalMs: 0 });
    client = await WebSocketTransport.client({ url: hubUrl, agentId: "bench_client" }, { heartbeatIntervalMs: 0 });
  }
  createServer(createDemux(server)).add(ComputeServiceDefinition, computeService);
  const compute = createClient(ComputeServiceDefinition, createDemux(client), { peer: "bench_server" });
  return {
    compute,
    close: async () => {
      await Promise.all([client.close(), server.close()]);
      await closeFar();
    },
  };
}

function record(name: string, pattern: BenchPattern, payloadBytes: number, ours: Measurement, peer: Measurement, transport: BenchTransport = "in-process"): BenchRecord {
  return {
    name,
    transport,
    pattern,
    payloadBytes,
    opsPerSec: ours.opsPerSec,
    p50Us: ours.p50Us,
    p99Us: ours.p99Us,
    peer: PEER,
    peerOpsPerSec: peer.opsPerSec,
    ratio: ours.opsPerSec / peer.opsPerSec,
  };
}

async function unary(name: string, payloadBytes: number, concurrency: number, quick: boolean, transport: "in-process" | "websocket" = "in-process"): Promise<BenchRecord> {
  const ours = await ourCompute(transport);
  const peer = await grpcWorker();
  const request: EchoRequest = { payload: new Uint8Array(payloadBytes).fill(7) };
  const op = () => ours.compute.echo(request);
  try {
    const [m, p] = await alternate(
      ROUNDS,
      () => (concurrency === 1 ? measureOnce(op, { quick }) : measureConcurrentOnce(op, concurrency, { quick })),
      () => peer.measure({ kind: "unary", payloadBytes, concurrency, quick }),
    );
    return record(name, concurrency === 1 ? "unary-seq" : "unary-c64", payloadBytes, m, p, transport);
  } finally {
    await Promise.all([ours.close(), peer.close()]);
  }
}

/** Messages/s of server streams of STREAM_LENGTH messages; p50/p99 are per message. */
async function serverStream(name: string, quick: boolean): Promise<BenchRecord> {
  const ours = await ourCompute("in-process");
  const peer = await grpcWorker();
  const op = async () => {
    for await (const _ of ours.compute.countTo({ n: STREAM_LENGTH, delayMs: 0 })) void _;
  };
  try {
    const [m, p] = await alternate(
      ROUNDS,
      () => measureOnce(op, { quick }, 3),
      () => peer.measure({ kind: "server-stream", length: STREAM_LENGTH, quick }),
    );
    const perMessage = (x: Measurement): Measurement => ({ opsPerSec: x.opsPerSec * STREAM_LENGTH, p50Us: x.p50Us / STREAM_LENGTH, p99Us: x.p99Us / STREAM_LENGTH });
    return record(name, "server-stream", 4, perMessage(m), perMessage(p));
  } finally {
    await Promise.all([ours.close(), peer.close()]);
  }
}

const SEQ = `${benchName("in-process", "unary-seq", 64)}/rpc`;
const C64 = `${benchName("in-process", "unary-c64", 64)}/rpc`;
const STREAM = `${benchName("in-process", "server-stream", 4)}/rpc`;

const WS_SEQ = `${benchName("websocket", "unary-seq", 64)}/rpc`;
const WS_C64 = `${benchName("websocket", "unary-c64", 64)}/rpc`;

export const benchmarks: Benchmark[] = [
  { name: SEQ, run: (c) => unary(SEQ, 64, 1, c.quick) },
  { name: C64, run: (c) => unary(C64, 64, 64, c.quick) },
  { name: STREAM, run: (c) => serverStream(STREAM, c.quick) },
  { name: WS_SEQ, run: (c) => unary(WS_SEQ, 64, 1, c.quick, "websocket") },
  { name: WS_C64, run: (c) => unary(WS_C64, 64, 64, c.quick, "websocket") },
];
