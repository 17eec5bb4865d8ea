/**
 * A small benchmark harness: warm-up, throughput from timed batches, per-operation latency
 * percentiles, and ours-vs-peer rounds interleaved so machine noise hits both alike.
 */

/** One benchmark operation; may be sync or async. */
export type Operation = () => unknown;

export interface HarnessOptions {
  /** Shorter warm-up and sampling (`npm run bench -- --quick`). */
  quick: boolean;
}

export interface Measurement {
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
}

const now = process.hrtime.bigint;

async function runFor(op: Operation, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) await op();
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Measures `op` on its own. */
export async function measure(op: Operation, options: HarnessOptions & { batch?: number }): Promise<Measurement> {
  const [result] = await measurePair(op, undefined, options);
  return result;
}

/**
 * Measures `ours` and `peer` in alternating rounds (3, or 1 with --quick) and reports the
 * median of each: both see the same machine load, so their ratio is meaningful.
 */
export async function measurePair(
  ours: Operation,
  peer: Operation | undefined,
  options: HarnessOptions & { batch?: number; peerBatch?: number; latencyCount?: number },
): Promise<[Measurement, Measurement | undefined]> {
  const rounds = options.quick ? 1 : 3;
  const warmupMs = options.quick ? 150 : 500;
  const sampleMs = options.quick ? 400 : 1500;
  const latencyCount = options.latencyCount ?? (options.quick ? 20_000 : 100_000);
  const batch = options.batch ?? 1000;
  const oursRuns: Measurement[] = [];
  const peerRuns: Measurement[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [op, runs, opBatch] of [[ours, oursRuns, batch], [peer, peerRuns, options.peerBatch ?? batch]] as const) {
      if (op === undefined) continue;
      await runFor(op, warmupMs);
      const opsPerSec = await throughput(op, sampleMs, opBatch);
      // as many single timed ops as fit in about one sample period (slow peers take fewer)
      const count = Math.max(1000, Math.min(latencyCount, Math.round((opsPerSec * sampleMs) / 1000)));
      const { p50Us, p99Us } = await latencies(op, count);
      runs.push({ opsPerSec, p50Us, p99Us });
    }
  }
  const summarise = (runs: Measurement[]): Measurement => ({
    opsPerSec: median(runs.map((r) => r.opsPerSec)),
    p50Us: median(runs.map((r) => r.p50Us)),
    p99Us: median(runs.map((r) => r.p99Us)),
  });
  return [summarise(oursRuns), peer === undefined ? undefined : summarise(peerRuns)];
}

/**
 * Closed-loop load: `concurrency` workers each run `op` back to back for about `ms`; every
 * op's latency is recorded. Returns throughput and latency percentiles under that load.
 */
export async function measureConcurrent(op: () => Promise<unknown>, concurrency: number, ms: number): Promise<Measurement> {
  const latenciesNs: number[] = [];
  let ops = 0;
  const end = performance.now() + ms;
  const start = now();
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = now();
      await op();
      latenciesNs.push(Number(now() - t0));
      ops++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedS = Number(now() - start) / 1e9;
  latenciesNs.sort((a, b) => a - b);
  return { opsPerSec: ops / elapsedS, p50Us: percentile(latenciesNs, 0.5) / 1000, p99Us: percentile(latenciesNs, 0.99) / 1000 };
}

/** `measureConcurrent` for ours and a peer in alternating rounds (after a warm-up), medians reported. */
export async function measureConcurrentPair(
  ours: () => Promise<unknown>,
  peer: (() => Promise<unknown>) | undefined,
  concurrency: number,
  options: HarnessOptions,
): Promise<[Measurement, Measurement | undefined]> {
  const rounds = options.quick ? 1 : 3;
  const sampleMs = options.quick ? 500 : 1500;
  const oursRuns: Measurement[] = [];
  const peerRuns: Measurement[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const [op, runs] of [[ours, oursRuns], [peer, peerRuns]] as const) {
      if (op === undefined) continue;
      await measureConcurrent(op, concurrency, options.quick ? 150 : 400);
      runs.push(await measureConcurrent(op, concurrency, sampleMs));
    }
  }
  const summarise = (runs: Measurement[]): Measurement => ({
    opsPerSec: median(runs.map((r) => r.opsPerSec)),
    p50Us: median(runs.map((r) => r.p50Us)),
    p99Us: median(runs.map((r) => r.p99Us)),
  });
  return [summarise(oursRuns), peer === undefined ? undefined : summarise(peerRuns)];
}
