/**
 * Reconnect delays: exponential backoff with "full jitter" (AWS architecture blog, "Exponential
 * Backoff And Jitter"): attempt n (0-based) waits a uniform random time in
 * [0, min(maxMs, baseMs · 2^n)). Pure apart from `random`, so it is testable with a fixed one.
 */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
