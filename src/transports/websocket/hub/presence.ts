/**
 * Who hears of which departure. A hub tells an agent that another left (PeerGone) only when it
 * asked, so a departure costs what the agents watching it need, not one notice per agent:
 *
 *   watch(x, y)        x looked y up (its first send to y), was sent a request or interest by
 *                      y, or sent Watch{y}: x hears when y leaves
 *   subscribe(x)       Watch{all}: x hears of every departure (a presence subscription)
 *   announcedToAll(y)  y broadcast its interest (pub/sub Subscribe): everyone learned of y and
 *                      hears when it leaves
 *
 * Watches are keyed by agent id, so they survive a resumed session; a watch is used up by the
 * departure it reports. Bounded: at most `maxWatchesPerAgent` addresses per watcher (more are
 * refused and counted) and one entry per announced address.
 * @internal
 */
export class Presence {
  readonly #maxWatches: number;
  /** Watched address → the ids of the agents watching it. */
  readonly #watchers = new Map<string, Set<string>>();
  /** Watcher id → the addresses it watches. */
  readonly #watching = new Map<string, Set<string>>();
  readonly #everything = new Set<string>();
  readonly #public = new Set<string>();
  /** Watches refused because the watcher was at its bound. */
  refused = 0;

  constructor(maxWatchesPerAgent: number) {
    this.#maxWatches = maxWatchesPerAgent;
  }

  /** `watcher` hears when `address` leaves (once). */
  watch(watcher: string, address: string): void {
    if (watcher === address) return;
    let watched = this.#watching.get(watcher);
    if (watched?.has(address)) return;
    if (watched === undefined) this.#watching.set(watcher, (watched = new Set()));
    else if (watched.size >= this.#maxWatches) {
      this.refused++;
      return;
    }
    watched.add(address);
    let watchers = this.#watchers.get(address);
    if (watchers === undefined) this.#watchers.set(address, (watchers = new Set()));
    watchers.add(watcher);
  }

  /** Withdraws `watcher`'s watch on `address`. */
  unwatch(watcher: string, address: string): void {
    this.#watching.get(watcher)?.delete(address);
    const watchers = this.#watchers.get(address);
    watchers?.delete(watcher);
    if (watchers?.size === 0) this.#watchers.delete(address);
  }

  /** `watcher` hears of every departure (`on`), or no longer. */
  subscribe(watcher: string, on: boolean): void {
    if (on) this.#everything.add(watcher);
    else this.#everything.delete(watcher);
  }

  /** Everyone hears when `address` leaves. */
  announcedToAll(address: string): void {
    this.#public.add(address);
  }

  /** How many addresses `watcher` watches. */
  watchCount(watcher: string): number {
    return this.#watching.get(watcher)?.size ?? 0;
  }

  /**
   * `address` left: who to tell (`everyone`, or the ids in `watchers`), after which its entries
   * are gone: the watches on it, and its own watches and subscription.
   */
  departed(address: string): { everyone: boolean; watchers: Set<string> } {
    const everyone = this.#public.delete(address);
    const watchers = this.#watchers.get(address) ?? new Set<string>();
    this.#watchers.delete(address);
    for (const watcher of watchers) this.#watching.get(watcher)?.delete(address);
    for (const subscriber of this.#everything) if (subscriber !== address) watchers.add(subscriber);
    this.forget(address);
    return { everyone, watchers };
  }

  /** `watcher` is gone for good: its own watches and subscription go. */
  forget(watcher: string): void {
    this.#everything.delete(watcher);
    const watched = this.#watching.get(watcher);
    if (watched === undefined) return;
    this.#watching.delete(watcher);
    for (const address of watched) {
      const watchers = this.#watchers.get(address);
      watchers?.delete(watcher);
      if (watchers?.size === 0) this.#watchers.delete(address);
    }
  }
}
