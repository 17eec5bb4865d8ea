import { WebSocket } from "ws";
import { startHubProcess } from "../../security/hub-process.js";
import { connectPair } from "../../security/pair.js";
import { captureCorpus } from "./corpus.js";
import { FrameFuzzer, type FrameKind, type FuzzTarget } from "./generators.js";
import { Prng } from "./prng.js";

/** What a fuzz run does. */
export interface FuzzOptions {
  /** Frames to send in all (Hellos, hostile-but-valid frames and rule breakers). */
  frames: number;
  /** Seed of the frame generator; the same seed sends the same frames. Default: from the clock. */
  seed?: number;
  /** Fuzzed connections at once. Default 4. */
  connections?: number;
  /** The hub's config (numbers): defaults below. */
  hubConfig?: Record<string, number>;
  /** Progress, about every 10,000 frames. */
  onProgress?: (progress: { frames: number; elapsedMs: number }) => void;
  /** At most this many frames per second (a soak fuzzes beside its load). Default: as fast as the hub reads. */
  framesPerSecond?: number;
  /** Sees every frame sent, with the connection's id (to replay what preceded a failure). */
  trace?: (self: string, kind: FrameKind, frame: Uint8Array) => void;
}

/** What a fuzz run found. */
export interface FuzzReport {
  seed: number;
  /** Frames sent by the fuzzer. */
  frames: number;
  /** Frames the hub read (the pair's included): frames after a connection's fatal one are never read. */
  framesReadByHub: number;
  byKind: Record<string, number>;
  /** Fuzzed connections opened. */
  connections: number;
  /** How the hub closed them, by close code. */
  closeCodes: Record<string, number>;
  durationMs: number;
  hubAlive: boolean;
  /** The hub process's highest resident set size, and at the end, in bytes. */
  hubPeakRss: number;
  hubRss: number;
  /** The longest the hub process's event loop was blocked during the run, in ms. */
  hubLoopBlockedMaxMs: number;
  /** Numbered messages the well-behaved pair exchanged meanwhile, and how many of them were lost. */
  pairExchanged: number;
  pairLost: number;
  hubStats: Record<string, number>;
}

/** The hub's limits during a run: the peak RSS bound a run asserts follows from these. */
export const FUZZ_HUB_CONFIG = {
  maxMessageSize: 10 << 20,
  queueCapacityBytes: 16 << 20,
  maxConsumerBufferBytes: 4 << 20,
  sessionBufferBytes: 4 << 20,
  parkedSessionsBytes: 32 << 20,
};

/**
 * Runs the frame fuzzer against a live hub in its own process, with a well-behaved pair beside
 * it exchanging numbered messages the whole time: `connections` fuzzed connections each say
 * Hello (sometimes a fuzzed one), send a burst of hostile-but-valid frames, then a rule breaker,
 * and start over under a new id until `frames` were sent. The corpus for mutations is captured
 * from a real session through the same hub.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const seed = options.seed ?? (Date.now() & 0x7fffffff);
  const config = { ...FUZZ_HUB_CONFIG, ...options.hubConfig };
  const hub = await startHubProcess({ config, reportIds: false });
  const started = performance.now();
  try {
    const pair = await connectPair(hub.url);
    let pairExchanged = 0;
    let pairLost = 0;
    let fuzzing = true;
    const pairLoop = (async () => {
      while (fuzzing) {
        pairLost += await pair.exchange(20);
        pairExchanged += 40;
      }
    })();
    await hub.report(false, true);
    const fuzzed = await fuzzHub(hub.url, { ...options, seed, maxMessageSize: config.maxMessageSize });
    fuzzing = false;
    await pairLoop;
    pairLost += await pair.exchange(50);
    pairExchanged += 100;
    await pair.close();
    const report = await hub.report();
    const { connectedAgents: _, ...hubStats } = report.hub;
    return {
      seed,
      ...fuzzed,
      framesReadByHub: report.hub.framesReceived,
      durationMs: Math.round(performance.now() - started),
      hubAlive: hub.alive(),
      hubPeakRss: report.peakRss,
      hubRss: report.rss,
      hubLoopBlockedMaxMs: Math.round(report.loopDelayMaxMs),
      pairExchanged,
      pairLost,
      hubStats,
    };
  } finally {
    await hub.close();
  }
}

/** What `fuzzHub` sent. */
export interface Fuzzed {
  frames: number;
  byKind: Record<string, number>;
  connections: number;
  closeCodes: Record<string, number>;
}

/**
 * Fuzzes the hub at `url` until `options.frames` were sent, or `options.stop()` says so (then
 * `frames` may be Infinity). Used by `runFuzz` and by the soak run, beside its load.
 */
export async function fuzzHub(url: string, options: FuzzOptions & { seed: number; maxMessageSize: number; stop?: () => boolean }): Promise<Fuzzed> {
  const started = performance.now();
  const corpus = await captureCorpus(url);
  const state = { sent: 0, connections: 0, nextProgress: 10_000, byKind: {} as Record<string, number>, closeCodes: {} as Record<string, number> };
  const slots = options.connections ?? 4;
  const current: string[] = Array.from({ length: slots }, (_, i) => `fuzz_${i}_0`);
  const prng = new Prng(options.seed);
  const fuzzer = new FrameFuzzer(prng, corpus, options.maxMessageSize);
  const limit = { get frames() { return options.stop?.() === true ? 0 : options.frames; } };
  const rate = options.framesPerSecond;
  const pace = async () => {
    if (rate === undefined) return new Promise<void>((resolve) => setImmediate(resolve));
    // a load generator's pacing: wait until the schedule catches up with what was sent
    const aheadMs = (state.sent / rate) * 1000 - (performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, aheadMs)));
  };
  const count = (kind: FrameKind) => {
    state.sent++;
    state.byKind[kind] = (state.byKind[kind] ?? 0) + 1;
    if (state.sent >= state.nextProgress) {
      state.nextProgress += 10_000;
      options.onProgress?.({ frames: state.sent, elapsedMs: performance.now() - started });
    }
  };
  await Promise.all(
    Array.from({ length: slots }, async (_, slot) => {
      for (let generation = 0; state.sent < limit.frames; generation++) {
        const self = `fuzz_${slot}_${generation}`;
        current[slot] = self;
        state.connections++;
        const code = await fuzzConnection(url, fuzzer, prng, self, () => current.filter((id) => id !== self), limit, state, count, pace, options.trace);
        state.closeCodes[code] = (state.closeCodes[code] ?? 0) + 1;
      }
    }),
  );
  return { frames: state.sent, byKind: state.byKind, connections: state.connections, closeCodes: state.closeCodes };
}

/** One fuzzed connection's life; resolves with the close code the hub ended it with. */
async function fuzzConnection(
  url: string,
  fuzzer: FrameFuzzer,
  prng: Prng,
  self: string,
  others: () => string[],
  limit: { readonly frames: number },
  state: { sent: number },
  count: (kind: FrameKind) => void,
  pace: () => Promise<void>,
  trace: FuzzOptions["trace"],
): Promise<number> {
  const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 << 20 });
  socket.on("error", () => undefined);
  const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
  const firstReply = new Promise<void>((resolve) => {
    socket.once("message", () => resolve());
    socket.once("close", () => resolve());
  });
  const opened = await new Promise<boolean>((resolve) => {
    socket.once("open", () => resolve(true));
    socket.once("close", () => resolve(false));
  });
  if (!opened) return closed;
  const hello = fuzzer.hello(self);
  socket.send(hello.frame);
  count("hello");
  await firstReply;
  const target: FuzzTarget = { self, others: others(), compression: hello.capabilities.includes("compression"), batch: hello.capabilities.includes("batch") };
  if (!hello.fuzzed && socket.readyState === WebSocket.OPEN) {
    const burst = prng.between(10, 250);
    for (let i = 0; i < burst && state.sent < limit.frames && socket.readyState === WebSocket.OPEN; i++) {
      const { kind, frame } = fuzzer.benign(target);
      socket.send(frame);
      count(kind);
      trace?.(self, kind, frame);
      // the hub reads as fast as it can; the fuzzer does not run away from it
      while (socket.bufferedAmount > 256 * 1024 && socket.readyState === WebSocket.OPEN) await new Promise((resolve) => setImmediate(resolve));
      if (i % 64 === 63) await pace();
    }
    if (socket.readyState === WebSocket.OPEN) {
      const { kind, frame } = fuzzer.breaker(target);
      socket.send(frame);
      count(kind);
      trace?.(self, kind, frame);
    }
  }
  // a frame with a reserved flag bit closes every connection: the breaker may have been harmless
  if (socket.readyState === WebSocket.OPEN) socket.send(Uint8Array.of(0x80));
  return closed;
}
