import { InProcessTransport, Message } from "../src/index.js";
import { measurePair } from "./harness.js";
import { benchName, type Benchmark, type BenchPattern, type BenchRecord } from "./types.js";

const PEER = "bare-await";

// The peer: the cheapest possible asynchronous hand-off in JavaScript.
async function bareAsync(value: unknown): Promise<unknown> {
  return value;
}

function payload(bytes: number): Uint8Array {
  return new Uint8Array(bytes).fill(0x5a);
}

async function oneWay(payloadBytes: number, quick: boolean): Promise<BenchRecord> {
  const [a, b] = await InProcessTransport.createPair("bench_a", "bench_b");
  const message = Message.event("bench_a", "bench.tick", payload(payloadBytes));
  const ours = async () => {
    await a.send("bench_b", message);
    await b.receive();
  };
  const peer = () => bareAsync(message);
  const [m, p] = await measurePair(ours, peer, { quick });
  await Promise.all([a.close(), b.close()]);
  return record("one-way", payloadBytes, m, p!);
}

/** One-way with a new Message built per send: what an application that builds messages pays. */
async function oneWayFresh(payloadBytes: number, quick: boolean): Promise<BenchRecord> {
  const [a, b] = await InProcessTransport.createPair("bench_a", "bench_b");
  const body = payload(payloadBytes);
  const ours = async () => {
    await a.send("bench_b", Message.event("bench_a", "bench.tick", body));
    await b.receive();
  };
  const peer = () => bareAsync(body);
  const [m, p] = await measurePair(ours, peer, { quick });
  await Promise.all([a.close(), b.close()]);
  return { ...record("one-way", payloadBytes, m, p!), name: `${benchName("in-process", "one-way", payloadBytes)}/fresh-message` };
}

async function unarySeq(payloadBytes: number, quick: boolean): Promise<BenchRecord> {
  const [client, server] = await InProcessTransport.createPair("bench_client", "bench_server");
  const request = Message.request("bench_client", "echo", payload(payloadBytes));
  const response = Message.response("bench_server", request.id, payload(payloadBytes));
  const ours = async () => {
    await client.send("bench_server", request);
    const { from } = await server.receive();
    await server.send(from, response);
    await client.receive();
  };
  const peer = () => bareAsync(request);
  const [m, p] = await measurePair(ours, peer, { quick });
  await Promise.all([client.close(), server.close()]);
  return record("unary-seq", payloadBytes, m, p!);
}

function record(
  pattern: BenchPattern,
  payloadBytes: number,
  m: { opsPerSec: number; p50Us: number; p99Us: number },
  p: { opsPerSec: number },
): BenchRecord {
  return {
    name: benchName("in-process", pattern, payloadBytes),
    transport: "in-process",
    pattern,
    payloadBytes,
    opsPerSec: m.opsPerSec,
    p50Us: m.p50Us,
    p99Us: m.p99Us,
    peer: PEER,
    peerOpsPerSec: p.opsPerSec,
    ratio: m.opsPerSec / p.opsPerSec,
  };
}

export const benchmarks: Benchmark[] = [64, 4096].flatMap((bytes) => [
  { name: benchName("in-process", "one-way", bytes), run: (c) => oneWay(bytes, c.quick) },
  { name: `${benchName("in-process", "one-way", bytes)}/fresh-message`, run: (c) => oneWayFresh(bytes, c.quick) },
  { name: benchName("in-process", "unary-seq", bytes), run: (c) => unarySeq(bytes, c.quick) },
]);
