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
  const sampleMs = options.quick ? 400 : 1500;
  await runFor(op, options.quick ? 150 : 500);
  const opsPerSec = await throughput(op, sampleMs, batch);
  // as many single timed ops as fit in about one sample period (slow peers take fewer)
  const count = Math.max(20, Math.min(options.latencyCount ?? (options.quick ? 20_000 : 100_000), Math.round((opsPerSec * sampleMs) / 1000)));
  const { p50Us, p99Us } = await latencies(op, count);
  return { opsPerSec, p50Us, p99Us };
}

/** One round of closed-loop load after a warm-up. */
export async function measureConcurrentOnce(op: () => Promise<unknown>, concurrency: number, options: HarnessOptions): Promise<Measurement> {
  await measureConcurrent(op, concurrency, options.quick ? 150 : 400);
  return measureConcurrent(op, concurrency, options.quick ? 500 : 1500);
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
  const oursRuns: Measurement[] = [];
  const peerRuns: Measurement[] = [];
  for (let round = 0; round < rounds; round++) {
    oursRuns.push(await measureOnce(ours, options, options.batch));
    if (peer !== undefined) peerRuns.push(await measureOnce(peer, options, options.peerBatch ?? options.batch));
  }
  return [summarise(oursRuns), peer === undefined ? undefined : summarise(peerRuns)];
}

/**
 * Closed-loop load: `concurrency` workers each run `op` back to back for about `ms`. Every 8th
 * op of each worker is timed (on the allocation-free `performance.now()` clock, so timing
 * does not feed the garbage collector) for the latency percentiles under that load.
 */
export async function measureConcurrent(op: () => Promise<unknown>, concurrency: number, ms: number): Promise<Measurement> {
  // A fixed typed array, overwritten round robin: a growing JS array here (an old-space object
  // written on every sample) measurably slowed the code under test for the rest of the run.
  const samples = new Float64Array(1 << 16);
  let taken = 0;
  let ops = 0;
  const start = performance.now();
  const end = start + ms;
  const worker = async () => {
    while (performance.now() < end) {
      for (let i = 0; i < 64; i++) {
        if ((i & 7) === 0) {
          const t0 = performance.now();
          await op();
          samples[taken++ & 0xffff] = performance.now() - t0;
        } else {
          await op();
        }
      }
      ops += 64;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedS = (performance.now() - start) / 1000;
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
