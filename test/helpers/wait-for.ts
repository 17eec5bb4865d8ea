import { inspect } from "node:util";

/** Options of one `waitFor`. */
export interface WaitForOptions<T> {
  /** What is awaited, as the error should say it ("b to learn a's subscriptions"). */
  what: string;
  /** When to give up, in ms. Default 5,000: well inside vitest's 20 s test timeout. */
  timeoutMs?: number;
  /** Whether `read()`'s value is the awaited one. Default: the value is truthy. */
  until?: (value: T) => boolean;
}

/** Polls on setImmediate this many times first (most conditions hold within a few turns), then on a timer. */
const IMMEDIATE_POLLS = 20;
/** The timer's period, in ms: short, yet a long wait does not keep a core busy. */
const POLL_INTERVAL_MS = 2;

/**
 * Polls `read()` until its value satisfies `options.until` (by default: is truthy) and
 * returns that value; after `options.timeoutMs` throws an Error naming `options.what` and
 * the last value read. The waiting is on conditions, never for a fixed time. `read` may be
 * async (a probe that does some work, e.g. a round trip); it is awaited before the next poll.
 */
export async function waitFor<T>(read: () => T | Promise<T>, options: WaitForOptions<T>): Promise<T> {
  const { what, timeoutMs = 5000, until = Boolean } = options;
  const deadline = performance.now() + timeoutMs;
  for (let polls = 0; ; polls++) {
    const value = await read();
    if (until(value)) return value;
    if (performance.now() >= deadline) {
      throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}; last observed: ${inspect(value, { depth: 4, breakLength: Infinity })}`);
    }
    await (polls < IMMEDIATE_POLLS ? new Promise((resolve) => setImmediate(resolve)) : new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS)));
  }
}

/** Waits until `predicate` holds, for at most `timeoutMs`; the error quotes the predicate's source. */
export async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  await waitFor(predicate, { what: String(predicate), timeoutMs });
}
