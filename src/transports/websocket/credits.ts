/**
 * End-to-end flow control between agents (docs/wire-format.md, section 5.5). A sender may
 * have at most the receiver's window of messages in flight to it; the receiver grants credit
 * back as its application takes them. Pure bookkeeping: no I/O, no timers.
 */

/** Sender side: credit left per destination. */
export class SendWindows {
  /** Remaining credit; Infinity for unmetered destinations (the hub, window 0). */
  readonly #credit = new Map<string, number>();
  readonly #looking = new Set<string>();

  /** Credit left for `to`, or undefined while the destination is unknown (a lookup is needed). */
  credit(to: string): number | undefined {
    return this.#credit.get(to);
  }

  /** Marks a lookup for `to` as in flight; false when one already is. */
  startLookup(to: string): boolean {
    if (this.#looking.has(to)) return false;
    this.#looking.add(to);
    return true;
  }

  /** The hub found `to` with receive window `window` (0: unmetered). */
  found(to: string, window: number): void {
    this.#looking.delete(to);
    this.#credit.set(to, window > 0 ? window : Infinity);
  }

  /** `to` is unknown or gone: the next send to it looks it up again. */
  forget(to: string): void {
    this.#looking.delete(to);
    this.#credit.delete(to);
  }

  /** One message to `to` is in flight. */
  consume(to: string): void {
    const credit = this.#credit.get(to);
    if (credit !== undefined) this.#credit.set(to, credit - 1);
  }

  /** The receiver `to` took `count` more messages. */
  grant(to: string, count: number): void {
    const credit = this.#credit.get(to);
    if (credit !== undefined) this.#credit.set(to, credit + count);
  }

  /** A new connection: every window is learned again; `unmetered` (the hub) needs no lookup. */
  reset(unmetered: string): void {
    this.#credit.clear();
    this.#looking.clear();
    this.#credit.set(unmetered, Infinity);
  }
}

/** Receiver side: counts messages taken per sender and says when to grant credit. */
export class ReceiveCredits {
  readonly #taken = new Map<string, number>();
  readonly #every: number;

  /** Grants once half the window has been taken (at least every message for a window of 1). */
  constructor(window: number) {
    this.#every = Math.max(1, Math.floor(window / 2));
  }

  /** Records one message from `from` taken; returns the credit to grant now (0: not yet). */
  taken(from: string): number {
    const count = (this.#taken.get(from) ?? 0) + 1;
    if (count < this.#every) {
      this.#taken.set(from, count);
      return 0;
    }
    this.#taken.delete(from);
    return count;
  }

  /** A new connection: credit not yet granted is moot (senders start with a full window). */
  reset(): void {
    this.#taken.clear();
  }
}
