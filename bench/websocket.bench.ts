/**
 * WebSocket through a hub running in a worker thread (another core), against raw `ws` doing
 * the same job in the same run (A's socket → a forwarding `ws` server in the same worker → B's
 * socket, payload bytes only, no envelope).
 *
 * - one-way: one operation is one message: send it, and once WINDOW messages are in flight,
 *   receive one. Both sides run pipelined at a bounded depth; ops/s is delivered messages/s.
 * - unary-seq: one operation is a request A → B and B's response B → A, one at a time.
 * - unary-c64: the same with 64 requests in flight (one op = one completed request/response).
 */
import { Worker } from "node:worker_threads";
import { WebSocket } from "ws";
import { Message } from "../src/index.js";
import { WebSocketTransport } from "../src/node.js";
import { measurePair } from "./harness.js";
import { benchName, type Benchmark, type BenchRecord } from "./types.js";

const WINDOW = 64;
const PEER = "ws";

interface Far {
  hubUrl: string;
  rawUrl: string;
  close(): Promise<void>;
}

async function startFarSide(): Promise<Far> {
  // Benchmarks run compiled (.bench-build/), so the worker module sits beside this one as .js.
  const worker = new Worker(new URL("./websocket-hub.worker.js", import.meta.url));
  const urls = await new Promise<{ hubUrl: string; rawUrl: string }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return {
    ...urls,
    close: async () => {
      const closed = new Promise((resolve) => worker.once("message", resolve));
      worker.postMessage("close");
      await closed;
      await worker.terminate();
    },
  };
}

/** A raw `ws` receiving end with an awaitable next message. */
function rawReceiver(socket: WebSocket): () => Promise<void> {
  let queued = 0;
  let waiter: (() => void) | undefined;
  socket.on("message", () => {
    if (waiter !== undefined) {
      const w = waiter;
      waiter = undefined;
      w();
    } else {
      queued++;
    }
  });
  return () => {
    if (queued > 0) {
      queued--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => (waiter = resolve));
  };
}

async function open(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  return socket;
}

async function oneWay(payloadBytes: number, quick: boolean): Promise<BenchRecord> {
  const far = await startFarSide();
  const config = { heartbeatIntervalMs: 0, enableCompression: false };
  const a = await WebSocketTransport.client({ url: far.hubUrl, agentId: "bench_a" }, config);
  const b = await WebSocketTransport.client({ url: far.hubUrl, agentId: "bench_b" }, config);
  const message = Message.event("bench_a", "bench.tick", new Uint8Array(payloadBytes).fill(0x5a));
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

  const recvSocket = await open(`${far.rawUrl}/recv`);
  const sendSocket = await open(`${far.rawUrl}/send`);
  const nextRaw = rawReceiver(recvSocket);
  const bytes = new Uint8Array(payloadBytes).fill(0x5a);
  let peerInFlight = 0;
  const peer = async () => {
    sendSocket.send(bytes);
    if (++peerInFlight >= WINDOW) {
      await nextRaw();
      peerInFlight--;
    }
  };

  const [m, p] = await measurePair(ours, peer, { quick });
  for (; oursInFlight > 0; oursInFlight--) await b.receive();
  for (; peerInFlight > 0; peerInFlight--) await nextRaw();
  sendSocket.terminate();
  recvSocket.terminate();
  await Promise.all([a.close(), b.close()]);
  await far.close();
  return {
    name: benchName("websocket", "one-way", payloadBytes),
    transport: "websocket",
    pattern: "one-way",
    payloadBytes,
    opsPerSec: m.opsPerSec,
    p50Us: m.p50Us,
    p99Us: m.p99Us,
    peer: PEER,
    peerOpsPerSec: p!.opsPerSec,
    ratio: m.opsPerSec / p!.opsPerSec,
    peerP50Us: p!.p50Us,
  };
}

/** Request/response with `depth` requests in flight: B answers each request A sends. */
async function unary(pattern: "unary-seq" | "unary-c64", depth: number, payloadBytes: number, quick: boolean): Promise<BenchRecord> {
  const far = await startFarSide();
  const config = { heartbeatIntervalMs: 0, enableCompression: false };
  const client = await WebSocketTransport.client({ url: far.hubUrl, agentId: "bench_client" }, config);
  const server = await WebSocketTransport.client({ url: far.hubUrl, agentId: "bench_server" }, config);
  const bytes = new Uint8Array(payloadBytes).fill(0x5a);
  const request = Message.request("bench_client", "echo", bytes);
  const response = Message.response("bench_server", request.id, bytes);
  let serving = true;
  const serve = (async () => {
    while (serving) {
      const received = await server.receive().catch(() => undefined);
      if (received === undefined) return;
      await server.send(received.from, response);
      for (let r = server.tryReceive(); r !== undefined; r = server.tryReceive()) await server.send(r.from, response);
    }
  })();
  await client.send("bench_server", request); // learns the server's window
  await client.receive();

  let oursInFlight = 0;
  const ours = async () => {
    await client.send("bench_server", request);
    if (++oursInFlight >= depth) {
      if (client.tryReceive() === undefined) await client.receive();
      oursInFlight--;
    }
  };

  const clientSocket = await open(`${far.rawUrl}/send`);
  const serverSocket = await open(`${far.rawUrl}/recv`);
  serverSocket.on("message", (data: Buffer) => serverSocket.send(data));
  const nextReply = rawReceiver(clientSocket);
  let peerInFlight = 0;
  const peer = async () => {
    clientSocket.send(bytes);
    if (++peerInFlight >= depth) {
      await nextReply();
      peerInFlight--;
    }
  };

  const [m, p] = await measurePair(ours, peer, { quick });
  for (; oursInFlight > 0; oursInFlight--) await client.receive();
  for (; peerInFlight > 0; peerInFlight--) await nextReply();
  serving = false;
  clientSocket.terminate();
  serverSocket.terminate();
  await Promise.all([client.close(), server.close()]);
  await serve;
  await far.close();
  return {
    name: benchName("websocket", pattern, payloadBytes),
    transport: "websocket",
    pattern,
    payloadBytes,
    opsPerSec: m.opsPerSec,
    p50Us: m.p50Us,
    p99Us: m.p99Us,
    peer: PEER,
    peerOpsPerSec: p!.opsPerSec,
    ratio: m.opsPerSec / p!.opsPerSec,
    peerP50Us: p!.p50Us,
  };
}

export const benchmarks: Benchmark[] = [32, 4096].flatMap((bytes) => [
  { name: benchName("websocket", "one-way", bytes), run: (context) => oneWay(bytes, context.quick) },
  { name: benchName("websocket", "unary-seq", bytes), run: (context) => unary("unary-seq", 1, bytes, context.quick) },
  { name: benchName("websocket", "unary-c64", bytes), run: (context) => unary("unary-c64", 64, bytes, context.quick) },
]);
