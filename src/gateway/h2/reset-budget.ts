/**
 * What a client may make one connection waste, as a token bucket: streams it resets or has
 * reset for its errors, streams refused, empty DATA frames. Opening a stream and resetting it at
 * once costs the client two small frames and the edge a decoded request, a routed call and its
 * cancellation (rapid reset, CVE-2023-44487): `burst` of them are free, then `perSecond`. The
 * clock is read only when a token is taken, never on the paths of well-behaved calls.
 */

/** A token bucket of resets. */
export class ResetBudget {
  readonly #burst: number;
  readonly #perMs: number;
  #tokens: number;
  #at = performance.now();

  constructor(burst: number, perSecond: number) {
    this.#burst = burst;
    this.#perMs = perSecond / 1000;
    this.#tokens = burst;
  }

  /** Takes a token; false when the bucket is empty (the client is past its bound). */
  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
