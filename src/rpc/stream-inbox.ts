/** Messages each stream direction may have outstanding before the receiver grants more. */
export const STREAM_WINDOW = 64;

/**
 * The receiving half of one stream direction: messages the peer sent, waiting for the
 * consumer. The peer may have at most `window` messages outstanding (its credit); as the
 * consumer takes messages this side grants credit back in batches of half a window, so the
 * buffer never holds more than `window` messages however fast the producer is.
 * @internal
 */
export class StreamInbox<T> implements AsyncIterable<T> {
  readonly #window: number;
  readonly #grant: (credit: number) => void;
  readonly #onReturn: () => void;
  #buffer: T[] = [];
  #consumed = 0;
  #ended = false;
  #error: unknown;
  #waiter: { resolve(result: IteratorResult<T>): void; reject(error: unknown): void } | undefined;
  #iterating = false;

  /**
   * @param grant sends `credit` more messages of credit to the peer.
   * @param onReturn called when the consumer stops early (break / return()).
   */
  constructor(window: number, grant: (credit: number) => void, onReturn: () => void) {
    this.#window = window;
    this.#grant = grant;
    this.#onReturn = onReturn;
  }

  /** Messages waiting for the consumer. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Accepts a message from the peer. Returns false when the peer exceeded its credit. */
  push(item: T): boolean {
    if (this.#ended) return true;
    if (this.#waiter !== undefined) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      this.#took();
      waiter.resolve({ value: item, done: false });
      return true;
    }
    if (this.#buffer.length >= this.#window) return false;
    this.#buffer.push(item);
    return true;
  }

  /** The peer finished the stream: the consumer sees the end after the buffered messages. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#settleWaiter();
  }

  /** The stream failed: the consumer's next read throws `error` (buffered messages are discarded). */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#buffer = [];
    this.#settleWaiter();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterating) throw new TypeError("a stream can be iterated only once");
    this.#iterating = true;
    return {
      next: () => this.#next(),
      return: async () => {
        if (!this.#ended) {
          this.#ended = true;
          this.#buffer = [];
          this.#onReturn();
        }
        return { value: undefined, done: true };
      },
    };
  }

  #next(): Promise<IteratorResult<T>> {
    if (this.#buffer.length > 0) {
      const value = this.#buffer.shift()!;
      this.#took();
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) return this.#error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  #took(): void {
    if (++this.#consumed * 2 >= this.#window && !this.#ended) {
      const credit = this.#consumed;
      this.#consumed = 0;
      this.#grant(credit);
    }
  }

  #settleWaiter(): void {
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    this.#waiter = undefined;
    if (this.#error === undefined) waiter.resolve({ value: undefined, done: true });
    else waiter.reject(this.#error);
  }
}

/**
 * The sending half of one stream direction: how many messages the peer will still accept.
 * A producer calls `acquire()` before each message and waits while the credit is 0.
 * @internal
 */
export class StreamCredit {
  #credit: number;
  #waiter: { resolve(): void; reject(error: unknown): void } | undefined;
  #error: unknown;

  constructor(initial: number) {
    this.#credit = initial;
  }

  get available(): number {
    return this.#credit;
  }

  /** Takes one message of credit: undefined when available now, else a promise for when it is. */
  acquire(): Promise<void> | undefined {
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#credit > 0) {
      this.#credit--;
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      this.#waiter = {
        resolve: () => {
          this.#credit--;
          resolve();
        },
        reject,
      };
    });
  }

  /** The peer granted `credit` more messages. */
  grant(credit: number): void {
    this.#credit += credit;
    const waiter = this.#waiter;
    if (waiter !== undefined && this.#credit > 0) {
      this.#waiter = undefined;
      waiter.resolve();
    }
  }

  /** Fails a waiting and every later `acquire()`. */
  fail(error: unknown): void {
    if (this.#error !== undefined) return;
    this.#error = error;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }
}
