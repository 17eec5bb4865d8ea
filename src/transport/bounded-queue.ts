import { AbortWatch } from "./abort-watch.js";
import { TransportError } from "./errors.js";

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Names the operation in an abort error, e.g. "receive". */
  what: string;
}

interface Taker<T> extends Waiter<T> {
  /** Applied to the item as it is handed over (see `take`). */
  onTaken: ((item: T) => T) | undefined;
}

interface Producer<T> extends Waiter<void> {
  item: T;
  bytes: number;
}

/**
 * A FIFO of at most `capacity` items and `maxBytes` bytes with async `take()`, for a
 * transport's receive side.
 *
 * Items live in a ring of slots (no `Array.shift` on the hot path). Takers wait in arrival
 * order. A producer that finds the queue full waits with its item (`offerWait`); when space
 * frees, the oldest waiting producers' items move in at once, so producers never overtake each
 * other. One item is always accepted into an empty queue whatever its size (a single message
 * is bounded by `maxMessageSize` elsewhere). `close()` rejects every waiter.
 * @internal
 */
export class BoundedQueue<T> {
  readonly capacity: number;
  readonly maxBytes: number;
  #items: (T | undefined)[];
  #sizes: number[];
  #head = 0;
  #size = 0;
  #bytes = 0;
  #takers: Taker<T>[] = [];
  #producers: Producer<T>[] = [];
  #closedError: TransportError | undefined;
  readonly #aborts = new AbortWatch((signal) => this.#aborted(signal));

  readonly #takersGone: (() => void) | undefined;

  /** `takersGone` runs whenever the last waiting taker leaves (served, aborted or rejected). */
  constructor(capacity: number, maxBytes = Infinity, takersGone?: () => void) {
    this.capacity = capacity;
    this.maxBytes = maxBytes;
    this.#takersGone = takersGone;
    const slots = Math.min(capacity, 1024);
    this.#items = new Array<T | undefined>(slots);
    this.#sizes = new Array<number>(slots).fill(0);
  }

  /** Items queued. */
  get size(): number {
    return this.#size;
  }

  /** Bytes queued (as given to `offer`). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Producers waiting for space. */
  get waitingProducers(): number {
    return this.#producers.length;
  }

  /** Takers waiting for an item. */
  get waitingTakers(): number {
    return this.#takers.length;
  }

  get isClosed(): boolean {
    return this.#closedError !== undefined;
  }

  /**
   * Adds `item` (of `bytes`) if it can go in now, handing it straight to a waiting taker if
   * there is one. Returns false when the queue is full or producers are already waiting.
   */
  offer(item: T, bytes = 0): boolean {
    if (this.#takers.length > 0) {
      const taker = this.#takers.shift()!;
      this.#cleanup(taker);
      if (this.#takers.length === 0) this.#takersGone?.();
      taker.resolve(taker.onTaken === undefined ? item : taker.onTaken(item));
      return true;
    }
    if (this.#producers.length > 0 || !this.#fits(bytes)) return false;
    this.#enqueue(item, bytes);
    return true;
  }

  /**
   * Waits until `item` is in the queue. Rejects with `Timeout` after `timeoutMs` (Infinity: never), `Aborted` on
   * `signal`, the close error on close, and `QueueFull` at once when `maxWaiters` already wait.
   */
  offerWait(item: T, bytes: number, timeoutMs: number, maxWaiters: number, signal: AbortSignal | undefined, what: string): Promise<void> {
    if (this.#closedError !== undefined) return Promise.reject(this.#closedError);
    if (this.offer(item, bytes)) return Promise.resolve();
    if (this.#producers.length >= maxWaiters) {
      return Promise.reject(
        new TransportError("QueueFull", `${what} is full (${this.#size} messages, ${this.#bytes} bytes) and ${maxWaiters} senders already wait`),
      );
    }
    return this.#wait(this.#producers, { item, bytes } as Producer<T>, signal, timeoutMs, what);
  }

  /** Removes and returns the oldest item, or undefined when empty. */
  poll(): T | undefined {
    if (this.#size === 0) return undefined;
    const items = this.#items;
    const head = this.#head;
    const item = items[head];
    items[head] = undefined;
    this.#bytes -= this.#sizes[head]!;
    this.#head = (head + 1) % items.length;
    this.#size--;
    while (this.#producers.length > 0 && this.#fits(this.#producers[0]!.bytes)) {
      const producer = this.#producers.shift()!;
      this.#cleanup(producer);
      this.#enqueue(producer.item, producer.bytes);
      producer.resolve();
    }
    return item;
  }

  /**
   * The oldest item, waiting for one if empty. Rejects with the close error, or `Aborted`.
   * `onTaken` is applied to the item synchronously as it is handed over (what a `.then` would
   * do a microtask later, at the cost of another promise).
   */
  take(signal?: AbortSignal, onTaken?: (item: T) => T): Promise<T> {
    if (this.#size > 0) {
      const item = this.poll() as T;
      return Promise.resolve(onTaken === undefined ? item : onTaken(item));
    }
    if (this.#closedError !== undefined) return Promise.reject(this.#closedError);
    return this.#wait(this.#takers, { onTaken } as Taker<T>, signal, undefined, "receive");
  }

  /** Rejects the oldest waiting taker with `error`; false when none waits. */
  rejectTaker(error: unknown): boolean {
    const taker = this.#takers.shift();
    if (taker === undefined) return false;
    this.#cleanup(taker);
    if (this.#takers.length === 0) this.#takersGone?.();
    taker.reject(error);
    return true;
  }

  /** Rejects every waiting taker with `error` (the queue stays open). */
  rejectTakers(error: unknown): void {
    if (this.#takers.length === 0) return;
    const takers = this.#takers.splice(0);
    this.#takersGone?.();
    for (const taker of takers) {
      this.#cleanup(taker);
      taker.reject(error);
    }
  }

  /** Rejects every waiter with `error` and empties the queue; returns how many items were dropped. */
  close(error: TransportError): number {
    if (this.#closedError !== undefined) return 0;
    this.#closedError = error;
    const dropped = this.#size;
    this.#items = [];
    this.#sizes = [];
    this.#size = 0;
    this.#bytes = 0;
    this.#head = 0;
    const hadTakers = this.#takers.length > 0;
    const waiters: Waiter<never>[] = [...this.#takers.splice(0), ...this.#producers.splice(0)];
    if (hadTakers) this.#takersGone?.();
    for (const waiter of waiters) {
      this.#cleanup(waiter);
      waiter.reject(error);
    }
    this.#aborts.clear();
    return dropped;
  }

  #fits(bytes: number): boolean {
    return this.#size < this.capacity && (this.#size === 0 || this.#bytes + bytes <= this.maxBytes);
  }

  #enqueue(item: T, bytes: number): void {
    if (this.#size === this.#items.length) this.#grow();
    const slot = (this.#head + this.#size) % this.#items.length;
    this.#items[slot] = item;
    this.#sizes[slot] = bytes;
    this.#size++;
    this.#bytes += bytes;
  }

  #grow(): void {
    const items = this.#items;
    const sizes = this.#sizes;
    const length = Math.min(this.capacity, items.length * 2);
    const grownItems = new Array<T | undefined>(length);
    const grownSizes = new Array<number>(length).fill(0);
    for (let i = 0; i < this.#size; i++) {
      const from = (this.#head + i) % items.length;
      grownItems[i] = items[from];
      grownSizes[i] = sizes[from]!;
    }
    this.#head = 0;
    this.#items = grownItems;
    this.#sizes = grownSizes;
  }

  /** Adds `waiter` (its own fields are set here) to `list` until it is served, times out or aborts. */
  #wait<V, W extends Waiter<V>>(list: W[], waiter: W, signal: AbortSignal | undefined, timeoutMs: number | undefined, what: string): Promise<V> {
    if (signal?.aborted) return Promise.reject(abortError(signal, what));
    return new Promise<V>((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
      waiter.signal = signal;
      waiter.what = what;
      waiter.timer = undefined;
      if (signal !== undefined) this.#aborts.watch(signal);
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        waiter.timer = setTimeout(() => this.#leave(list, waiter, new TransportError("Timeout", `${what} stayed full for ${timeoutMs} ms`)), timeoutMs);
      }
      list.push(waiter);
    });
  }

  #cleanup(waiter: Waiter<never>): void {
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    if (waiter.signal !== undefined) this.#aborts.unwatch(waiter.signal);
  }

  /** Takes `waiter` out of `list` and rejects it with `error`. */
  #leave<W extends Waiter<never>>(list: W[], waiter: W, error: TransportError): void {
    const index = list.indexOf(waiter);
    if (index < 0) return;
    list.splice(index, 1);
    this.#cleanup(waiter);
    if (list === (this.#takers as unknown[]) && list.length === 0) this.#takersGone?.();
    waiter.reject(error);
  }

  /** `signal` aborted: every waiter on it leaves, in arrival order. */
  #aborted(signal: AbortSignal): void {
    for (const list of [this.#takers, this.#producers] as Waiter<never>[][]) {
      for (const waiter of list.filter((w) => w.signal === signal)) this.#leave(list, waiter, abortError(signal, waiter.what));
    }
  }
}

function abortError(signal: AbortSignal, what: string): TransportError {
  return new TransportError("Aborted", `${what} aborted`, {}, { cause: signal.reason });
}
