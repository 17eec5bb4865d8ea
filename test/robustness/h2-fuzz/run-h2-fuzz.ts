// The HTTP/2 fuzzer against a live edge (a hub with its HTTP edge and an agent, in a process of
// its own), with a well-behaved gRPC client (@grpc/grpc-js) beside it making Echo calls the
// whole time, each checked: the edge must stay up, under its memory bound, and lose nothing of
// the good client's.
import { connect, type Socket } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { captureSessions } from "./corpus.js";
import { startEdgeProcess, type EdgeReport } from "./edge.js";
import { H2Fuzzer, type Kind } from "./h2-generators.js";

/** What a run does. */
export interface H2FuzzOptions {
  /** How long to fuzz, in ms. */
  durationMs: number;
  /** Seed of the generator; the same seed sends the same connections. Default: from the clock. */
  seed?: number;
  /** Fuzzed connections at once. Default 4. */
  connections?: number;
  /** Progress, about every second. */
  onProgress?: (progress: { frames: number; bytes: number; elapsedMs: number }) => void;
}

/** What a run found. */
export interface H2FuzzReport {
  seed: number;
  /** Frames (or pieces) sent, and their bytes. */
  frames: number;
  bytes: number;
  byKind: Partial<Record<Kind, number>>;
  /** Fuzzed connections made, how many the edge closed itself, and its GOAWAY codes. */
  connections: number;
  closedByEdge: number;
  goaways: Record<string, number>;
  durationMs: number;
  edgeAlive: boolean;
  /** The edge process's highest resident set size, at the start and over the run, in bytes. */
  edgeRssBefore: number;
  edgePeakRss: number;
  /** The longest the edge's event loop was blocked during the run, in ms. */
  edgeLoopBlockedMaxMs: number;
  /** What the edge held after the run: calls in flight, bytes for clients (both 0 when nothing leaked). */
  after: Pick<EdgeReport, "inFlight" | "bufferedBytes" | "rss">;
  /** Calls the good client made, and how many of them failed or came back wrong. */
  goodCalls: number;
  goodLost: number;
  goodErrors: string[];
}

const GOAWAY = 7;

/** Fuzzes a fresh edge for `options.durationMs`. */
export async function runH2Fuzz(options: H2FuzzOptions): Promise<H2FuzzReport> {
  const seed = options.seed ?? Date.now() & 0x7fffffff;
  const edge = await startEdgeProcess();
  try {
    const corpus = await captureSessions(edge.port);
    const before = await edge.report(true, true);
    const fuzzer = new H2Fuzzer(seed, corpus);
    const good = goodClient(edge.port);
    const started = performance.now();
    const stats = { frames: 0, bytes: 0, byKind: {} as Partial<Record<Kind, number>>, connections: 0, closedByEdge: 0, goaways: {} as Record<string, number> };
    let lastProgress = started;
    const worker = async (): Promise<void> => {
      while (performance.now() - started < options.durationMs) {
        const next = fuzzer.next();
        stats.frames += next.frames;
        stats.byKind[next.kind] = (stats.byKind[next.kind] ?? 0) + next.frames;
        stats.connections++;
        const outcome = await fuzzConnection(edge.port, next.writes, next.read);
        stats.bytes += outcome.bytes;
        if (outcome.closedByEdge) stats.closedByEdge++;
        for (const code of outcome.goaways) stats.goaways[code] = (stats.goaways[code] ?? 0) + 1;
        const now = performance.now();
        if (options.onProgress !== undefined && now - lastProgress >= 1000) {
          lastProgress = now;
          options.onProgress({ frames: stats.frames, bytes: stats.bytes, elapsedMs: now - started });
        }
      }
    };
    await Promise.all(Array.from({ length: options.connections ?? 4 }, worker));
    const durationMs = Math.round(performance.now() - started);
    const goodResult = await good.stop();
    const during = await edge.report();
    // what the fuzz left behind: nothing, once the edge has seen every connection close
    let after = await edge.report(true);
    for (let polls = 0; (after.inFlight > 0 || after.bufferedBytes > 0) && polls < 200; polls++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      after = await edge.report(true);
    }
    return {
      seed,
      ...stats,
      durationMs,
      edgeAlive: edge.alive(),
      edgeRssBefore: before.rss,
      edgePeakRss: during.peakRss,
      edgeLoopBlockedMaxMs: Math.round(during.loopDelayMaxMs),
      after: { inFlight: after.inFlight, bufferedBytes: after.bufferedBytes, rss: after.rss },
      goodCalls: goodResult.calls,
      goodLost: goodResult.lost,
      goodErrors: goodResult.errors.slice(0, 5),
    };
  } finally {
    await edge.close();
  }
}

/** One fuzzed connection: writes `writes` (pieces on separate turns), reads the answers or not, and waits a little for the edge to close it. */
async function fuzzConnection(port: number, writes: Buffer[], read: boolean): Promise<{ bytes: number; closedByEdge: boolean; goaways: number[] }> {
  const socket: Socket = connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  let closed = false;
  let input: Buffer = Buffer.alloc(0);
  const goaways: number[] = [];
  socket.on("error", () => undefined);
  socket.on("close", () => (closed = true));
  socket.on("data", (chunk: Buffer) => {
    // the edge's own frames: only its GOAWAY codes are of interest
    input = input.length === 0 ? chunk : Buffer.concat([input, chunk]);
    while (input.length >= 9) {
      const length = input.readUIntBE(0, 3);
      if (input.length < 9 + length) break;
      if (input[3] === GOAWAY && length >= 8) goaways.push(input.readUInt32BE(13));
      input = input.subarray(9 + length);
    }
  });
  if (!read) socket.pause();
  await new Promise<void>((resolve) => socket.once("connect", resolve).once("close", resolve));
  let bytes = 0;
  for (const [i, write] of writes.entries()) {
    if (closed || socket.destroyed) break;
    socket.write(write);
    bytes += write.length;
    if (i < writes.length - 1 || socket.writableLength > 0) await new Promise((resolve) => setImmediate(resolve));
    // a client the edge stopped reading (it does not read either): give up on it
    if (socket.writableLength > 1 << 20) break;
  }
  // a moment for the edge to answer or close (each poll is a turn of the loop, at most ~50 ms)
  for (let polls = 0; !closed && polls < 25; polls++) await new Promise((resolve) => setTimeout(resolve, 2));
  const closedByEdge = closed;
  socket.destroy();
  return { bytes, closedByEdge, goaways };
}

/** A well-behaved gRPC client making Echo calls (4 at once), each answer checked. */
function goodClient(port: number): { stop(): Promise<{ calls: number; lost: number; errors: string[] }> } {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  let running = true;
  let calls = 0;
  let lost = 0;
  const errors: string[] = [];
  const loop = async (lane: number): Promise<void> => {
    for (let i = 0; running; i++) {
      const payload = Buffer.from(`lane ${lane} call ${i} ${"x".repeat(i % 300)}`);
      const request = Buffer.concat([Buffer.from([0x0a]), varint(payload.length), payload]);
      const answer = await new Promise<Buffer | Error>((resolve) =>
        client.makeUnaryRequest(
          "/swarm.examples.v1.ComputeService/Echo",
          (b: Buffer) => b,
          (b: Buffer) => b,
          request,
          { deadline: Date.now() + 10_000 },
          (error, value) => resolve(error ?? value!),
        ),
      );
      calls++;
      if (answer instanceof Error || !answer.equals(request)) {
        lost++;
        errors.push(answer instanceof Error ? answer.message : `wrong answer to lane ${lane} call ${i}`);
      }
    }
  };
  const lanes = [0, 1, 2, 3].map(loop);
  return {
    async stop() {
      running = false;
      await Promise.all(lanes);
      client.close();
      return { calls, lost, errors };
    },
  };
}

function varint(value: number): Buffer {
  const out: number[] = [];
  for (; value >= 0x80; value >>>= 7) out.push((value & 0x7f) | 0x80);
  out.push(value);
  return Buffer.from(out);
}
