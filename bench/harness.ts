/**
 * A small benchmark harness: warm-up until the rate has settled, throughput from timed batches,
 * per-operation latency percentiles, and ours-vs-peer rounds interleaved so machine noise hits
 * both alike.
 *
 * `--quick` changes only how long each round samples, never the warm-up: a fixed short warm-up
 * measured code the JIT had not finished with (quick gave websocket unary-seq 0.15× where a
 * full run gave 0.64×). Warm-up runs the operation in windows of ~25 ms (16 operations at
 * least) and stops once the median rate of the last four windows is within 3% of the four
 * before (medians, so one window the machine took away does not count), after at least 300 ms
 * (100 ms for later rounds of an operation already warmed), or gives up after 10 s; every
 * warm-up is logged in `warmUpLog`.
 */

/** One benchmark operation; may be sync or async. */
export type Operation = () => unknown;

export interface HarnessOptions {
  /** Shorter samples (`npm run bench -- --quick`); the warm-up is the same. */
  quick: boolean;
}

export interface Measurement {
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
}

/** How one warm-up went. */
export interface WarmUpReport {
  /** Time it took, ms. */
  ms: number;
  /** Windows run. */
  windows: number;
  /** Whether the rate settled (false: gave up at the limit). */
  settled: boolean;
  /** The last change between window groups (0.02 = 2%). */
  change: number;
  /** Rate of the last windows, ops/s. */
  rate: number;
}

/** Every warm-up this process ran, in order; run.ts puts a summary into the record. */
export const warmUpLog: WarmUpReport[] = [];

const WINDOW_MS = 25;
const WINDOW_MIN_OPS = 16;
const GROUP = 4;
const SETTLED_WITHIN = 0.03;
const WARMUP_MIN_MS = 300;
const REWARM_MIN_MS = 100;
const WARMUP_MAX_MS = 10_000;

/** Rounds of ours and the peer, alternated; the median of each is reported. */
export const ROUNDS = 3;

/** How long one round samples throughput, ms. */
export function sampleMs(quick: boolean): number {
  return quick ? 250 : 1500;
}

const now = process.hrtime.bigint;
const warmed = new WeakSet<object>();

/**
 * Runs `window(ms)` — the operation for about `ms`, returning its rate — until the rate has
 * settled (see the module comment). `key` identifies the operation: a later warm-up of the same
 * key needs less time.
 */
export async function settle(window: (ms: number) => Promise<number>, key: object): Promise<WarmUpReport> {
  const started = performance.now();
  const minMs = warmed.has(key) ? REWARM_MIN_MS : WARMUP_MIN_MS;
  warmed.add(key);
  const rates: number[] = [];
  for (;;) {
    rates.push(await window(WINDOW_MS));
    const ms = performance.now() - started;
    let change = Infinity;
    if (rates.length >= 2 * GROUP) {
      const recent = median(rates.slice(-GROUP));
      const before = median(rates.slice(-2 * GROUP, -GROUP));
      change = Math.abs(recent / before - 1);
    }
    const settled = change <= SETTLED_WITHIN && ms >= minMs;
    if (settled || ms >= WARMUP_MAX_MS) {
      const report = { ms, windows: rates.length, settled, change, rate: median(rates.slice(-GROUP)) };
      warmUpLog.push(report);
      return report;
    }
  }
}

/** Warms `op` up (see `settle`). */
export function warmUp(op: Operation): Promise<WarmUpReport> {
  return settle((ms) => rateFor(op, ms), op);
}

/**
 * Runs `op` back to back for about `ms`, and at least WINDOW_MIN_OPS times, and returns ops/s;
 * checks the clock every chunk of ops, sized to the op. The minimum count keeps slow operations
 * (a fan-out burst to 100 sockets takes ~10 ms) from giving rates of 2 or 3 ops a window, whose
 * ±1 op never settled within 3%: each such warm-up ran into its 10 s limit.
 */
async function rateFor(op: Operation, ms: number): Promise<number> {
  const start = performance.now();
  const end = start + ms;
  let ops = 0;
  let chunk = 1;
  for (;;) {
    const chunkStart = performance.now();
    for (let i = 0; i < chunk; i++) await op();
    ops += chunk;
    const t = performance.now();
    if (t >= end && ops >= WINDOW_MIN_OPS) return (ops * 1000) / (t - start);
    if (t - chunkStart < 1 && chunk < 256) chunk *= 2;
  }
}

/** Throughput: batches of `batch` ops, timed as a whole, for about `ms`. */
async function throughput(op: Operation, ms: number, batch: number): Promise<number> {
  let ops = 0;
  let elapsedNs = 0n;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const start = now();
    for (let i = 0; i < batch; i++) await op();
    elapsedNs += now() - start;
    ops += batch;
  }
  return ops / (Number(elapsedNs) / 1e9);
}

let timerOverheadNs: number | undefined;

/** The median cost of reading the clock twice, subtracted from each timed op. */
function clockOverheadNs(): number {
  if (timerOverheadNs === undefined) {
    const samples: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const start = now();
      samples.push(Number(now() - start));
    }
    timerOverheadNs = percentile(samples.sort((a, b) => a - b), 0.5);
  }
  return timerOverheadNs;
}

/** Latency: `count` ops each timed on its own, in microseconds. */
async function latencies(op: Operation, count: number): Promise<{ p50Us: number; p99Us: number }> {
  const overhead = clockOverheadNs();
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const start = now();
    await op();
    samples[i] = Math.max(0, Number(now() - start) - overhead);
  }
  samples.sort();
  return { p50Us: percentile(samples, 0.5) / 1000, p99Us: percentile(samples, 0.99) / 1000 };
}

function percentile(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function summarise(runs: Measurement[]): Measurement {
  return {
    opsPerSec: median(runs.map((r) => r.opsPerSec)),
    p50Us: median(runs.map((r) => r.p50Us)),
    p99Us: median(runs.map((r) => r.p99Us)),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** One round: warm-up, throughput from batches of `batch` ops, then single-op latencies. */
export async function measureOnce(op: Operation, options: HarnessOptions & { latencyCount?: number }, batch = 1000): Promise<Measurement> {
  const ms = sampleMs(options.quick);
  await warmUp(op);
  const opsPerSec = await throughput(op, ms, batch);
  // as many single timed ops as fit in about one sample period (slow peers take fewer)
  const count = Math.max(20, Math.min(options.latencyCount ?? (options.quick ? 20_000 : 100_000), Math.round((opsPerSec * ms) / 1000)));
  const { p50Us, p99Us } = await latencies(op, count);
  return { opsPerSec, p50Us, p99Us };
}

/** One round of closed-loop load after a warm-up. */
export async function measureConcurrentOnce(op: () => Promise<unknown>, concurrency: number, options: HarnessOptions): Promise<Measurement> {
  await settle((ms) => measureConcurrent(op, concurrency, ms, false).then((m) => m.opsPerSec), op);
  return measureConcurrent(op, concurrency, sampleMs(options.quick));
}

/**
 * Measures `ours` and `peer` in alternating rounds (ROUNDS of them) and reports the median of
 * each: both see the same machine load, so their ratio is meaningful.
 */
export async function measurePair(
  ours: Operation,
  peer: Operation | undefined,
  options: HarnessOptions & { batch?: number; peerBatch?: number; latencyCount?: number },
): Promise<[Measurement, Measurement | undefined]> {
  const oursRuns: Measurement[] = [];
  const peerRuns: Measurement[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    oursRuns.push(await measureOnce(ours, options, options.batch));
    if (peer !== undefined) peerRuns.push(await measureOnce(peer, options, options.peerBatch ?? options.batch));
  }
  return [summarise(oursRuns), peer === undefined ? undefined : summarise(peerRuns)];
}

/**
 * Closed-loop load: `concurrency` workers each run `op` back to back for about `ms`. Every 8th
 * op of each worker is timed (on the allocation-free `performance.now()` clock, so timing
 * does not feed the garbage collector) for the latency percentiles under that load, unless
 * `timed` is false (warm-up windows).
 */
export async function measureConcurrent(op: () => Promise<unknown>, concurrency: number, ms: number, timed = true): Promise<Measurement> {
  // A fixed typed array, overwritten round robin: a growing JS array here (an old-space object
  // written on every sample) measurably slowed the code under test for the rest of the run.
  const samples = timed ? new Float64Array(1 << 16) : undefined;
  let taken = 0;
  let ops = 0;
  const start = performance.now();
  const end = start + ms;
  const worker = async () => {
    while (performance.now() < end) {
      if (samples !== undefined) {
        const t0 = performance.now();
        await op();
        samples[taken++ & 0xffff] = performance.now() - t0;
      } else {
        await op();
      }
      for (let i = 1; i < 8; i++) await op();
      ops += 8;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedS = (performance.now() - start) / 1000;
  if (samples === undefined) return { opsPerSec: ops / elapsedS, p50Us: 0, p99Us: 0 };
  const sorted = samples.subarray(0, Math.min(taken, samples.length)).sort();
  return { opsPerSec: ops / elapsedS, p50Us: percentile(sorted, 0.5) * 1000, p99Us: percentile(sorted, 0.99) * 1000 };
}

/**
 * Alternates `rounds` measurements of ours and of a peer (which may run elsewhere: a worker
 * thread, another process) and reports the median of each.
 */
export async function alternate(
  rounds: number,
  ours: () => Promise<Measurement>,
  peer: () => Promise<Measurement>,
): Promise<[Measurement, Measurement]> {
  const oursRuns: Measurement[] = [];
  const peerRuns: Measurement[] = [];
  for (let round = 0; round < rounds; round++) {
    oursRuns.push(await ours());
    peerRuns.push(await peer());
  }
  return [summarise(oursRuns), summarise(peerRuns)];
}
