/** Something that can expire. */
export interface Expirable {
  /** Absolute deadline, ms on the `performance.now()` clock. */
  readonly deadlineAt: number;
  /** Called once when the deadline has passed. */
  expire(): void;
}

/**
 * Deadlines for many calls on one timer. Adding and removing are Set operations; the one
 * timer is armed for the earliest deadline known when it was set, and on firing expires what
 * is due and re-arms for the next. Calls that finish early never touch a timer, so a million
 * calls a second with deadlines cost no timer churn (grpc-js leaks of per-call deadline timers
 * — grpc/grpc-node#2332, #2446 — cannot happen: no call owns a timer). The timer exists only
 * while something is scheduled, so an idle scheduler holds no handle.
 * @internal
 */
export class DeadlineScheduler<T extends Expirable> {
  readonly #entries = new Set<T>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #armedFor = Infinity;

  get size(): number {
    return this.#entries.size;
  }

  add(entry: T): void {
    this.#entries.add(entry);
    if (entry.deadlineAt < this.#armedFor) this.#arm(entry.deadlineAt);
  }

  delete(entry: T): void {
    this.#entries.delete(entry);
    if (this.#entries.size === 0) this.#disarm();
  }

  /** Forgets everything and releases the timer. */
  clear(): void {
    this.#entries.clear();
    this.#disarm();
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = at;
    this.#timer = setTimeout(this.#fire, Math.max(0, Math.ceil(at - performance.now())));
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = performance.now();
    let next = Infinity;
    const due: T[] = [];
    for (const entry of this.#entries) {
      if (entry.deadlineAt <= now) due.push(entry);
      else if (entry.deadlineAt < next) next = entry.deadlineAt;
    }
    for (const entry of due) this.#entries.delete(entry);
    if (next !== Infinity) this.#arm(next);
    for (const entry of due) entry.expire();
  };
}
