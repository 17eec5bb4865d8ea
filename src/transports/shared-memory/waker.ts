/**
 * Waiting on a word of shared memory without blocking the event loop.
 *
 * `Atomics.waitAsync` parks the caller until another thread `Atomics.notify`s the word; it
 * costs no CPU while parked. Where it is missing (some browsers) a timer poll with backoff
 * stands in. A pending `waitAsync` does not keep Node's event loop alive, so callers that must
 * keep the process running while they wait hold a `KeepAlive`.
 */

import { monotonicNow } from "../../transport/monotonic-clock.js";

type WaitAsync = (typed: Int32Array, index: number, value: number, timeout?: number) => { async: boolean; value: Promise<string> | string };

const waitAsync: WaitAsync | undefined = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync?.bind(Atomics);

/**
 * Resolves once `words[index]` is no longer `value` (or may no longer be: spurious wake-ups
 * are allowed, callers re-check), or after `timeoutMs` (Infinity: no limit).
 */
export function waitForChange(words: Int32Array, index: number, value: number, timeoutMs = Infinity): Promise<void> {
  if (Atomics.load(words, index) !== value) return Promise.resolve();
  if (waitAsync !== undefined) {
    const result = waitAsync(words, index, value, timeoutMs);
    return result.async ? (result.value as Promise<string>).then(ignore) : Promise.resolve();
  }
  return pollForChange(words, index, value, timeoutMs);
}

function pollForChange(words: Int32Array, index: number, value: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = monotonicNow() + timeoutMs;
    let delay = 0;
    const check = () => {
      if (Atomics.load(words, index) !== value || monotonicNow() >= deadline) return resolve();
      delay = Math.min(delay * 2 + 1, 16);
      setTimeout(check, delay);
    };
    check();
  });
}

/**
 * Spins up to `spinMicros` for `ready()` to turn true; true if it did. Used only where a busy
 * peer is expected to answer within microseconds: it keeps round trips sub-microsecond without
 * paying a wake-up, and gives up quickly so an idle endpoint costs no CPU.
 */
export function spinUntil(ready: () => boolean, spinMicros: number): boolean {
  if (spinMicros <= 0) return ready();
  const end = monotonicNow() + spinMicros / 1000;
  do {
    for (let i = 0; i < 64; i++) if (ready()) return true;
  } while (monotonicNow() < end);
  return ready();
}

/**
 * A spin whose length adapts to whether spinning pays: a spin that sees its condition keeps
 * the full budget, a spin that gives up halves it, down to nothing, and a spin every so often
 * probes again. On a quiet machine a request/response pair settles into spinning (round trips
 * of a few µs); where cores are scarce spinning only steals the core the peer needs, and this
 * backs off to parking on `Atomics.waitAsync` at once.
 */
export class AdaptiveSpin {
  readonly maxMicros: number;
  #micros: number;
  #calls = 0;

  constructor(maxMicros: number) {
    this.maxMicros = maxMicros;
    this.#micros = maxMicros;
  }

  /** The current spin budget in µs (0: check once, probing now and then). */
  get budgetMicros(): number {
    return this.#micros;
  }

  /** Spins for `ready()` within the current budget; true if it turned true. */
  spin(ready: () => boolean): boolean {
    if (this.maxMicros <= 0) return ready();
    let budget = this.#micros;
    if (budget < 1 && ++this.#calls % 64 === 0) budget = this.maxMicros / 4; // probe
    if (budget < 1) return ready();
    if (spinUntil(ready, budget)) {
      this.#micros = this.maxMicros;
      return true;
    }
    this.#micros = budget / 2 < 1 ? 0 : budget / 2;
    return false;
  }
}

/** Wakes every waiter on `words[index]` after bumping it (so a wait that has not parked yet sees the change). */
export function bumpAndNotify(words: Int32Array, index: number): void {
  Atomics.add(words, index, 1);
  Atomics.notify(words, index);
}

/**
 * A ref'd timer held while work is pending, because `Atomics.waitAsync` alone lets Node exit.
 * Counted: `hold()` / `release()` in pairs; the timer keeps the process alive only while the
 * count is positive. Between holds it stays, unref'd (as DeadlineScheduler's timer), so a
 * receive per message does not create and clear a timer each (~250 ns); `clear()` drops it.
 */
export class KeepAlive {
  #count = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  hold(): void {
    if (this.#count++ !== 0) return;
    if (this.#timer === undefined) this.#timer = setInterval(ignore, 1 << 30);
    else this.#timer.ref?.();
  }

  release(): void {
    if (this.#count === 0) return;
    if (--this.#count === 0) this.#timer?.unref?.();
  }

  /** Drops every hold and the timer. */
  clear(): void {
    this.#count = 0;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

function ignore(): void {}
