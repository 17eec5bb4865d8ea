import { waitFor } from "../helpers/wait-for.js";

/** Resolves with `promise`, or rejects after `ms` naming `what` (a deadline for one wait, not a timing assertion). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Polls a (possibly asynchronous) `condition` until it holds; rejects after `timeoutMs` naming `what`. */
export async function eventually(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(condition, { what, timeoutMs });
}
