/** The transports a record can be about. */
export type BenchTransport = "in-process" | "shared-memory" | "websocket" | "http" | "nats" | "websocket-nats";

/** `fan-out-N` is written with the number of subscribers, e.g. "fan-out-8". */
export type BenchPattern = "one-way" | "unary-seq" | "unary-c64" | "server-stream" | `fan-out-${number}`;

/** One row of bench/results.json: the contract every benchmark reports through. */
export interface BenchRecord {
  /** Unique, stable name, e.g. "in-process/one-way/64B". */
  name: string;
  transport: BenchTransport;
  pattern: BenchPattern;
  payloadBytes: number;
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
  /** What the same work was compared with in the same run, or null. */
  peer: string | null;
  peerOpsPerSec: number | null;
  /** opsPerSec ÷ peerOpsPerSec, or null without a peer. */
  ratio: number | null;
  /** The peer's p50 in the same run, where the benchmark reports it (latency targets compare p50s). */
  peerP50Us?: number | null;
  // Set by the runner (bench/run.ts) on every record it writes; absent only in records written
  // before records carried them.
  /** CPU model it ran on (`os.cpus()[0].model`), e.g. "AMD EPYC 7B13". */
  cpu?: string;
  /** Logical cores of that machine. */
  cores?: number;
  /** Node version, e.g. "v20.20.2". */
  node?: string;
  /**
   * What one `Date.now()` cost on that machine, ns. The transports read the clock several times
   * per message (timestamps, activity, deadlines), and machines differ most in this.
   */
  clockReadNs?: number;
  /** Whether it was a `--quick` run. */
  quick?: boolean;
  /** The run's warm-ups (bench/harness.ts): how many, the longest in ms, and how many gave up unsettled. */
  warmUp?: { count: number; maxMs: number; unsettled: number };
}

export interface BenchContext {
  quick: boolean;
  /** Reports progress on one line. */
  progress(message: string): void;
}

/** A benchmark file (bench/*.bench.ts) exports `benchmarks: Benchmark[]`. */
export interface Benchmark {
  name: string;
  run(context: BenchContext): Promise<BenchRecord>;
}

/** "in-process/one-way/64B", "websocket/unary-c64/4KiB". */
export function benchName(transport: BenchTransport, pattern: BenchPattern, payloadBytes: number): string {
  const size = payloadBytes >= 1024 && payloadBytes % 1024 === 0 ? `${payloadBytes / 1024}KiB` : `${payloadBytes}B`;
  return `${transport}/${pattern}/${size}`;
}
