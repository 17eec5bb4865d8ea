import { TransportError } from "../../transport/errors.js";

/** A send that could not be written at once, already encoded (so a message that cannot be encoded is refused at once). */
export interface PendingSend {
  /** Destination; undefined for a broadcast (or a control frame for the hub itself). */
  to: string | undefined;
  /** The envelope's encoding, with `destination` set to `to`. */
  body: Uint8Array;
  /** Whether it belongs to the session stream (see `isSequenced`). */
  sequenced: boolean;
  resolve(): void;
  reject(error: TransportError): void;
  /** Removes the abort listener. */
  cleanup(): void;
}

/**
 * The client's FIFO of sends waiting for the socket: while backpressured (bufferedAmount over
 * the high-water mark), paused by the peer's FlowControl, or disconnected. Bounded: beyond
 * `capacity` a send fails with `QueueFull`. Sends leave it in order; a waiting send can be
 * aborted through its signal.
 * @internal
 */
export class Outbox {
  readonly capacity: number;
  #items: PendingSend[] = [];
  #head = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#items.length - this.#head;
  }

  /**
   * Queues a send; the promise settles when `drain` writes it or something fails it: `Aborted`
   * on `signal`, `Timeout` after `timeoutMs` (when given and finite).
   */
  enqueue(to: string | undefined, body: Uint8Array, sequenced: boolean, signal: AbortSignal | undefined, timeoutMs?: number): Promise<void> {
    if (this.size >= this.capacity) {
      return Promise.reject(new TransportError("QueueFull", `${this.capacity} sends are already waiting for the connection`));
    }
    if (signal?.aborted) return Promise.reject(aborted(signal));
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const leave = (error: TransportError) => {
        const index = this.#items.indexOf(pending, this.#head);
        if (index >= 0) this.#items.splice(index, 1);
        pending.cleanup();
        reject(error);
      };
      const onAbort = () => leave(aborted(signal!));
      const pending: PendingSend = {
        to,
        body,
        sequenced,
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => leave(new TransportError("Timeout", `send to "${to ?? "all"}" waited ${timeoutMs} ms for the connection, the socket or the receiver's credit`)), timeoutMs);
      }
      this.#items.push(pending);
    });
  }

  /**
   * Writes queued sends through `write` while `canWrite()` holds. A send whose `write` throws
   * is rejected with that error; the rest continue.
   */
  drain(canWrite: (pending: PendingSend) => boolean, write: (pending: PendingSend) => void): void {
    while (this.size > 0 && canWrite(this.#items[this.#head]!)) {
      const pending = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as never;
      pending.cleanup();
      try {
        write(pending);
        pending.resolve();
      } catch (error) {
        pending.reject(TransportError.from(error));
      }
    }
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Rejects the queued sends to `to` with `error`; the others keep their places. */
  failTo(to: string, error: TransportError): void {
    const kept: PendingSend[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const pending = this.#items[i]!;
      if (pending.to === to) {
        pending.cleanup();
        pending.reject(error);
      } else {
        kept.push(pending);
      }
    }
    this.#items = kept;
    this.#head = 0;
  }

  /** Rejects every queued send with `error`; returns how many there were. */
  failAll(error: TransportError): number {
    const items = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    for (const pending of items) {
      pending.cleanup();
      pending.reject(error);
    }
    return items.length;
  }
}

function aborted(signal: AbortSignal): TransportError {
  return new TransportError("Aborted", "send aborted while waiting for the connection", {}, { cause: signal.reason });
}
