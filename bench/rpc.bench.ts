import type * as grpc from "@grpc/grpc-js";
import { computeService, ComputeServiceDefinition } from "../examples/compute-service.js";
import type { CountToRequest, CountToResponse, EchoRequest, EchoResponse } from "../generated/swarm/examples/v1/compute.js";
import { createClient, createServer, InProcessTransport } from "../src/index.js";
import { startGrpcPeer } from "./grpc-peer.js";
import { measureConcurrentPair, measurePair, type Measurement } from "./harness.js";
import { benchName, type Benchmark, type BenchPattern, type BenchRecord } from "./types.js";

const PEER = "grpc-js";
const STREAM_LENGTH = 10_000;

/** The example service over grpc-js, with the same handlers as ours. */
async function grpcPeer() {
  return startGrpcPeer(ComputeServiceDefinition, {
    echo: (call: grpc.ServerUnaryCall<EchoRequest, EchoResponse>, callback: grpc.sendUnaryData<EchoResponse>) =>
      callback(null, { payload: call.request.payload }),
    countTo: async (call: grpc.ServerWritableStream<CountToRequest, CountToResponse>) => {
      for (let i = 1; i <= call.request.n; i++) {
        if (!call.write({ value: i })) await new Promise((resolve) => call.once("drain", resolve));
      }
      call.end();
    },
  });
}

async function inProcessCompute() {
  const [client, server] = await InProcessTransport.createPair("bench_client", "bench_server");
  createServer(server).add(ComputeServiceDefinition, computeService);
  const compute = createClient(ComputeServiceDefinition, client, { peer: "bench_server" });
  return { compute, close: () => Promise.all([client.close(), server.close()]) };
}

function record(pattern: BenchPattern, payloadBytes: number, ours: Measurement, peer: Measurement): BenchRecord {
  return {
    name: benchName("in-process", pattern, payloadBytes),
    transport: "in-process",
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

async function unary(payloadBytes: number, concurrency: number, quick: boolean): Promise<BenchRecord> {
  const ours = await inProcessCompute();
  const peer = await grpcPeer();
  const request: EchoRequest = { payload: new Uint8Array(payloadBytes).fill(7) };
  const oursOp = () => ours.compute.echo(request);
  const peerOp = () =>
    new Promise<unknown>((resolve, reject) => peer.client["echo"]!(request, (error: unknown, response: unknown) => (error ? reject(error) : resolve(response))));
  try {
    const [m, p] =
      concurrency === 1
        ? await measurePair(oursOp, peerOp, { quick, peerBatch: 50 })
        : await measureConcurrentPair(oursOp, peerOp, concurrency, { quick });
    return record(concurrency === 1 ? "unary-seq" : "unary-c64", payloadBytes, m, p!);
  } finally {
    await Promise.all([ours.close(), peer.close()]);
  }
}

/** Messages/s of one server stream of STREAM_LENGTH messages; p50/p99 are per message. */
async function serverStream(quick: boolean): Promise<BenchRecord> {
  const ours = await inProcessCompute();
  const peer = await grpcPeer();
  const oursOp = async () => {
    for await (const _ of ours.compute.countTo({ n: STREAM_LENGTH, delayMs: 0 })) void _;
  };
  const peerOp = () =>
    new Promise<void>((resolve, reject) => {
      const stream = peer.client["countTo"]!({ n: STREAM_LENGTH, delayMs: 0 }) as grpc.ClientReadableStream<CountToResponse>;
      stream.on("data", () => undefined);
      stream.on("end", resolve);
      stream.on("error", reject);
    });
  try {
    const [m, p] = await measurePair(oursOp, peerOp, { quick, batch: 3, peerBatch: 1 });
    const perMessage = (x: Measurement): Measurement => ({
      opsPerSec: x.opsPerSec * STREAM_LENGTH,
      p50Us: x.p50Us / STREAM_LENGTH,
      p99Us: x.p99Us / STREAM_LENGTH,
    });
    return record("server-stream", 4, perMessage(m), perMessage(p!));
  } finally {
    await Promise.all([ours.close(), peer.close()]);
  }
}

export const benchmarks: Benchmark[] = [
  { name: benchName("in-process", "unary-seq", 64) + "/rpc", run: async (c) => ({ ...(await unary(64, 1, c.quick)), name: benchName("in-process", "unary-seq", 64) + "/rpc" }) },
  { name: benchName("in-process", "unary-c64", 64) + "/rpc", run: async (c) => ({ ...(await unary(64, 64, c.quick)), name: benchName("in-process", "unary-c64", 64) + "/rpc" }) },
  { name: benchName("in-process", "server-stream", 4) + "/rpc", run: async (c) => ({ ...(await serverStream(c.quick)), name: benchName("in-process", "server-stream", 4) + "/rpc" }) },
];
