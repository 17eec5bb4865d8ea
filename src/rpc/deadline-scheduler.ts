import { monotonicNow } from "../transport/monotonic-clock.js";

/** Something that can expire. */
export interface Expirable {
  /** Absolute deadline, ms on the `performance.now()` clock. */
  readonly deadlineAt: number;
  /** Where the scheduler keeps this entry; -1 while not scheduled. Set only by the scheduler. */
  deadlineSlot: number;
  /** Called once when the deadline has passed. */
  expire(): void;
}

/**
 * Deadlines for many calls on one timer. Entries live in an array, each knowing its index, so
 * adding and removing are O(1) without hashing (a Set cost a hash-table insert, delete and
 * periodic rehash per call, ~10% of an in-process call); the one timer is armed for the
 * earliest deadline known when it was set, and on firing expires what is due and re-arms for
 * the next. Calls that finish early never touch a timer, so a million calls a second with
 * deadlines cost no timer churn (grpc-js leaks of per-call deadline timers — grpc/grpc-node#2332,
 * #2446 — cannot happen: no call owns a timer). While nothing is scheduled the timer is unref'd
 * (it cannot keep a process alive) rather than cleared, so a steady stream of short calls does
 * not set and clear a timer each.
 * @internal
 */
export class DeadlineScheduler<T extends Expirable> {
  readonly #entries: T[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedFor = Infinity;

  get size(): number {
    return this.#entries.length;
  }

  add(entry: T): void {
    const entries = this.#entries;
    if (entry.deadlineSlot >= 0) return;
    if (entries.length === 0) this.#timer?.ref?.();
    entry.deadlineSlot = entries.length;
    entries.push(entry);
    if (entry.deadlineAt < this.#armedFor) this.#arm(entry.deadlineAt);
  }

  delete(entry: T): void {
    const entries = this.#entries;
    const slot = entry.deadlineSlot;
    if (slot < 0 || entries[slot] !== entry) return;
    // The last entry fills the hole.
    const last = entries.pop()!;
    if (last !== entry) {
      entries[slot] = last;
      last.deadlineSlot = slot;
    }
    entry.deadlineSlot = -1;
    if (entries.length === 0) this.#timer?.unref?.();
  }

  /** Forgets everything and releases the timer. */
  clear(): void {
    for (const entry of this.#entries) entry.deadlineSlot = -1;
    this.#entries.length = 0;
    this.#disarm();
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = at;
    this.#timer = setTimeout(this.#fire, Math.max(0, Math.ceil(at - monotonicNow())));
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    if (this.#entries.length === 0) return;
    const now = monotonicNow();
    let next = Infinity;
    const due: T[] = [];
    for (const entry of this.#entries) {
      if (entry.deadlineAt <= now) due.push(entry);
      else if (entry.deadlineAt < next) next = entry.deadlineAt;
    }
    for (const entry of due) this.delete(entry);
    if (next !== Infinity) this.#arm(next);
    for (const entry of due) entry.expire();
  };
}
