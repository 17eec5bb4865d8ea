import type { MeteredLane } from "./interest-table.js";

interface Lane {
  window: number;
  outstanding: number;
  waiters: (() => void)[];
}

/**
 * A publisher's side of pub/sub flow control: per subscriber agent and lane, how many metered
 * events are unacknowledged, and the publishes waiting for credit. A lane never has more than
 * its window outstanding; EventCredit from the subscriber gives credit back. When a subscriber
 * or its subscription goes, its waiters are released (their sends then fail or are skipped).
 * @internal
 */
export class CreditLedger {
  readonly #agents = new Map<string, Map<string, Lane>>();

  /**
   * Takes one credit on each of `lanes` of `agent`, waiting (in FIFO order per lane) while any
   * is at its window. Resolves true when taken, false when the agent or a lane went meanwhile.
   */
  async acquire(agent: string, lanes: readonly MeteredLane[], signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      signal?.throwIfAborted();
      const entries = this.#agents.get(agent) ?? new Map<string, Lane>();
      let full: Lane | undefined;
      for (const { key, window } of lanes) {
        let lane = entries.get(key);
        if (lane === undefined) entries.set(key, (lane = { window, outstanding: 0, waiters: [] }));
        lane.window = window;
        if (lane.outstanding >= lane.window) full ??= lane;
      }
      this.#agents.set(agent, entries);
      if (full === undefined) {
        for (const { key } of lanes) entries.get(key)!.outstanding++;
        return true;
      }
      const released = await this.#wait(full, signal);
      if (!released) return false;
    }
  }

  /** `count` more events may go on lane `key` of `agent`. */
  grant(agent: string, key: string, count: number): void {
    const lane = this.#agents.get(agent)?.get(key);
    if (lane === undefined) return;
    lane.outstanding = Math.max(0, lane.outstanding - count);
    this.#wake(lane);
  }

  /** Whether `agent` has a lane at its window (publishes to it wait). */
  isBlocked(agent: string): boolean {
    for (const lane of this.#agents.get(agent)?.values() ?? []) if (lane.outstanding >= lane.window) return true;
    return false;
  }

  /** The subscription behind lane `key` of `agent` went: its waiters go on without it. */
  forgetLane(agent: string, key: string): void {
    const lanes = this.#agents.get(agent);
    const lane = lanes?.get(key);
    if (lane === undefined) return;
    lanes!.delete(key);
    this.#release(lane);
  }

  /** `agent` went (or everything is stale): release every waiter. */
  forgetAgent(agent?: string): void {
    const agents = agent === undefined ? [...this.#agents.keys()] : [agent];
    for (const name of agents) {
      const lanes = this.#agents.get(name);
      this.#agents.delete(name);
      for (const lane of lanes?.values() ?? []) this.#release(lane);
    }
  }

  #wait(lane: Lane, signal: AbortSignal | undefined): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const waiter = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve(lane.window > 0);
      };
      const onAbort = (): void => {
        const index = lane.waiters.indexOf(waiter);
        if (index >= 0) lane.waiters.splice(index, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      lane.waiters.push(waiter);
    });
  }

  #wake(lane: Lane): void {
    // FIFO: wake as many waiters as there is room for; each re-checks all its lanes.
    let room = lane.window - lane.outstanding;
    while (room-- > 0 && lane.waiters.length > 0) lane.waiters.shift()!();
  }

  #release(lane: Lane): void {
    lane.window = 0;
    for (const waiter of lane.waiters.splice(0)) waiter();
  }
}
