/**
 * One timer for the timeouts of many connections: every `intervalMs` each registered connection
 * is asked to `sweep(now)` and compares `now` with when its state last changed. Connections
 * stamp state changes with `sweeper.now` (the time of the last sweep, a coarse clock), so no
 * request pays for a timer or a clock read; a timeout fires between its time and two intervals
 * later. The timer runs only while a connection is registered, and never holds the process open.
 */

/** A connection with timeouts. */
export interface Sweepable {
  /** `now`: performance.now() at this sweep. */
  sweep(now: number): void;
}

/** Sweeps registered connections every `intervalMs`. */
export class ConnectionSweeper {
  /** performance.now() at the last sweep (or registration): the coarse clock connections stamp with. */
  now = performance.now();
  readonly intervalMs: number;
  readonly #connections = new Set<Sweepable>();
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** The interval for timeouts of `timeoutsMs`: a quarter of the shortest, between 10 ms and 1 s. */
  static intervalFor(...timeoutsMs: number[]): number {
    const shortest = Math.min(...timeoutsMs.filter((t) => t > 0));
    return Number.isFinite(shortest) ? Math.min(1000, Math.max(10, Math.floor(shortest / 4))) : 1000;
  }

  add(connection: Sweepable): void {
    this.#connections.add(connection);
    if (this.#timer === undefined) {
      this.now = performance.now();
      this.#timer = setInterval(this.#sweep, this.intervalMs);
      this.#timer.unref();
    }
  }

  delete(connection: Sweepable): void {
    this.#connections.delete(connection);
    if (this.#connections.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  readonly #sweep = (): void => {
    const now = (this.now = performance.now());
    for (const connection of this.#connections) connection.sweep(now);
  };
}
