/** Call counts and latency percentiles of one lane of the demo (bounded: the last 8,192 samples). */
export class LaneStats {
  readonly name: string;
  calls = 0;
  errors = 0;
  events = 0;
  lastError = "";
  readonly #samples = new Float64Array(8192);
  #taken = 0;
  #lastCalls = 0;
  #lastAt = performance.now();
  #rate = 0;

  constructor(name: string) {
    this.name = name;
  }

  record(ms: number): void {
    this.calls++;
    this.#samples[this.#taken++ & 8191] = ms;
  }

  fail(error: unknown): void {
    this.errors++;
    this.lastError = error instanceof Error ? error.message : String(error);
  }

  /** Calls per second since the previous call of `tick`. */
  tick(): number {
    const now = performance.now();
    this.#rate = ((this.calls - this.#lastCalls) * 1000) / Math.max(1, now - this.#lastAt);
    this.#lastCalls = this.calls;
    this.#lastAt = now;
    return this.#rate;
  }

  get rate(): number {
    return this.#rate;
  }

  /** p50 and p99 over the recent samples, in µs. */
  percentiles(): { p50Us: number; p99Us: number } {
    const n = Math.min(this.#taken, this.#samples.length);
    if (n === 0) return { p50Us: 0, p99Us: 0 };
    const sorted = this.#samples.slice(0, n).sort();
    return { p50Us: sorted[Math.floor(n * 0.5)]! * 1000, p99Us: sorted[Math.min(n - 1, Math.floor(n * 0.99))]! * 1000 };
  }
}
