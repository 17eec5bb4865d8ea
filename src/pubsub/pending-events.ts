/** What a subscription does when its queue of undelivered events is full. */
export type OverflowPolicy =
  /**
   * Publishers wait until the subscription catches up: each keeps at most `maxPending` events
   * unacknowledged for it (end-to-end credit), so a slow subscriber holds back only what is
   * published to it; other subscriptions and calls on the same transport go on.
   */
  | "block"
  /** Discard the oldest queued event (counted in `dropped`). */
  | "drop-oldest"
  /** Discard the new event (counted in `dropped`). */
  | "drop-newest"
  /** End the subscription with a `QueueFull` error (the "disconnect" of NATS slow consumers). */
  | "error";

interface Entry<T> {
  readonly item: T;
  readonly priority: number;
  readonly seq: number;
}

/**
 * A bounded queue ordered by priority (255 first), FIFO among equal priorities: when a
 * subscriber falls behind, urgent events overtake routine ones, and events of one priority
 * keep their order. A binary heap; `seq` breaks ties.
 * @internal
 */
export class PendingEvents<T> {
  readonly capacity: number;
  readonly #heap: Entry<T>[] = [];
  #seq = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#heap.length;
  }

  get isFull(): boolean {
    return this.#heap.length >= this.capacity;
  }

  push(item: T, priority: number): void {
    const heap = this.#heap;
    heap.push({ item, priority, seq: this.#seq++ });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** Removes and returns the most urgent (then oldest) item. */
  shift(): T | undefined {
    const heap = this.#heap;
    if (heap.length === 0) return undefined;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let best = i;
        if (left < heap.length && before(heap[left]!, heap[best]!)) best = left;
        if (right < heap.length && before(heap[right]!, heap[best]!)) best = right;
        if (best === i) break;
        [heap[i], heap[best]] = [heap[best]!, heap[i]!];
        i = best;
      }
    }
    return top.item;
  }

  /** Removes and returns the oldest item of any priority (for "drop-oldest"). */
  dropOldest(): T | undefined {
    const heap = this.#heap;
    if (heap.length === 0) return undefined;
    let oldest = 0;
    for (let i = 1; i < heap.length; i++) if (heap[i]!.seq < heap[oldest]!.seq) oldest = i;
    const dropped = heap[oldest]!.item;
    const kept = heap.filter((_, i) => i !== oldest);
    heap.length = 0;
    for (const entry of kept.sort((a, b) => (before(a, b) ? -1 : 1))) heap.push(entry);
    return dropped;
  }

  /** Empties the queue; returns what it held. */
  clear(): T[] {
    return this.#heap.splice(0).map((entry) => entry.item);
  }
}

function before(a: Entry<unknown>, b: Entry<unknown>): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq;
}
