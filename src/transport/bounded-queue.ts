import { TransportError } from "./errors.js";

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
  cleanup(): void;
}

interface Producer<T> extends Waiter<void> {
  item: T;
}

/**
 * A FIFO of at most `capacity` items with async `take()`, for a transport's receive side.
 *
 * Items live in a ring of slots (no `Array.shift` on the hot path). Takers wait in arrival
 * order. A producer that finds the queue full waits with its item (`offerWait`); when a slot
 * frees, the oldest waiting producer's item moves in at once, so producers never overtake each
 * other and the queue never holds more than `capacity`. `close()` rejects every waiter.
 * @internal
 */
export class BoundedQueue<T> {
  readonly capacity: number;
  #items: (T | undefined)[];
  #head = 0;
  #size = 0;
  #takers: Waiter<T>[] = [];
  #producers: Producer<T>[] = [];
  #closedError: TransportError | undefined;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#items = new Array<T | undefined>(Math.min(capacity, 1024));
  }

  /** Items queued. */
  get size(): number {
    return this.#size;
  }

  /** Producers waiting for space. */
  get waitingProducers(): number {
    return this.#producers.length;
  }

  get isClosed(): boolean {
    return this.#closedError !== undefined;
  }

  /**
   * Adds `item` if it can go in now (handing it straight to a waiting taker if there is one).
   * Returns false when the queue is full or producers are already waiting.
   */
  offer(item: T): boolean {
    if (this.#takers.length > 0) {
      const taker = this.#takers.shift()!;
      taker.cleanup();
      taker.resolve(item);
      return true;
    }
    if (this.#size >= this.capacity || this.#producers.length > 0) return false;
    this.#enqueue(item);
    return true;
  }

  /**
   * Waits until `item` is in the queue. Rejects with `Timeout` after `timeoutMs`, `Aborted` on
   * `signal`, the close error on close, and `QueueFull` at once when `maxWaiters` already wait.
   */
  offerWait(item: T, timeoutMs: number, maxWaiters: number, signal: AbortSignal | undefined, what: string): Promise<void> {
    if (this.#closedError !== undefined) return Promise.reject(this.#closedError);
    if (this.offer(item)) return Promise.resolve();
    if (this.#producers.length >= maxWaiters) {
      return Promise.reject(
        new TransportError("QueueFull", `${what} is full (${this.capacity} messages) and ${maxWaiters} senders already wait`),
      );
    }
    return this.#wait(this.#producers, { item }, signal, timeoutMs, what);
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  poll(): T | undefined {
    if (this.#size === 0) return undefined;
    const items = this.#items;
    const item = items[this.#head];
    items[this.#head] = undefined;
    this.#head = (this.#head + 1) % items.length;
    this.#size--;
    const producer = this.#producers.shift();
    if (producer !== undefined) {
      producer.cleanup();
      this.#enqueue(producer.item);
      producer.resolve();
    }
    return item;
  }

  /** The oldest item, waiting for one if empty. Rejects with the close error, or `Aborted`. */
  take(signal?: AbortSignal): Promise<T> {
    if (this.#size > 0) return Promise.resolve(this.poll() as T);
    if (this.#closedError !== undefined) return Promise.reject(this.#closedError);
    return this.#wait(this.#takers, {}, signal, undefined, "receive");
  }

  /** Rejects every waiter with `error` and empties the queue; returns how many items were dropped. */
  close(error: TransportError): number {
    if (this.#closedError !== undefined) return 0;
    this.#closedError = error;
    const dropped = this.#size;
    this.#items = [];
    this.#size = 0;
    this.#head = 0;
    const waiters: Waiter<never>[] = [...this.#takers.splice(0), ...this.#producers.splice(0)];
    for (const waiter of waiters) {
      waiter.cleanup();
      waiter.reject(error);
    }
    return dropped;
  }

  #enqueue(item: T): void {
    let items = this.#items;
    if (this.#size === items.length) items = this.#grow();
    items[(this.#head + this.#size) % items.length] = item;
    this.#size++;
  }

  #grow(): (T | undefined)[] {
    const old = this.#items;
    const grown = new Array<T | undefined>(Math.min(this.capacity, old.length * 2));
    for (let i = 0; i < this.#size; i++) grown[i] = old[(this.#head + i) % old.length];
    this.#head = 0;
    this.#items = grown;
    return grown;
  }

  #wait<V, W extends Waiter<V>>(
    list: W[],
    extra: Omit<W, keyof Waiter<V>>,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
    what: string,
  ): Promise<V> {
    if (signal?.aborted) return Promise.reject(abortError(signal, what));
    return new Promise<V>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = {
        ...extra,
        resolve,
        reject,
        cleanup() {
          if (timer !== undefined) clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        },
      } as W;
      const leave = (error: TransportError) => {
        const index = list.indexOf(waiter);
        if (index >= 0) list.splice(index, 1);
        waiter.cleanup();
        reject(error);
      };
      function onAbort() {
        leave(abortError(signal!, what));
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => leave(new TransportError("Timeout", `${what} stayed full for ${timeoutMs} ms`)), timeoutMs);
      }
      list.push(waiter);
    });
  }
}

function abortError(signal: AbortSignal, what: string): TransportError {
  return new TransportError("Aborted", `${what} aborted`, {}, { cause: signal.reason });
}
