import { TransportError } from "../../transport/errors.js";
import type { ReceivedMessage } from "../../transport/transport.js";
import { E } from "./segment-layout.js";
import type { KeepAlive } from "./waker.js";

interface Waiter {
  resolve(received: ReceivedMessage): void;
  reject(error: TransportError): void;
  cleanup(): void;
}

/**
 * The receives waiting for a message, in call order. While any wait, the endpoint's SLEEPING
 * flag is 1 (so writers ring its doorbell) and a KeepAlive hold keeps Node running; both are
 * dropped as the last one settles. An aborted receive leaves the queue and takes nothing.
 */
export class PendingReceives {
  readonly #waiters: Waiter[] = [];
  readonly #entry: Int32Array;
  readonly #keepAlive: KeepAlive;

  /** `entry` is the endpoint's directory entry (for SLEEPING). */
  constructor(entry: Int32Array, keepAlive: KeepAlive) {
    this.#entry = entry;
    this.#keepAlive = keepAlive;
  }

  get length(): number {
    return this.#waiters.length;
  }

  /** A receive that settles through `resolveNext`/`rejectNext`/`rejectAll`, or `Aborted` on `signal`. */
  wait(signal: AbortSignal | undefined): Promise<ReceivedMessage> {
    if (signal?.aborted) return Promise.reject(aborted(signal));
    return new Promise<ReceivedMessage>((resolve, reject) => {
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        waiter.cleanup();
        reject(aborted(signal!));
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => {
          signal?.removeEventListener("abort", onAbort);
          this.#keepAlive.release();
          if (this.#waiters.length === 0) Atomics.store(this.#entry, E.SLEEPING, 0);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#keepAlive.hold();
      // Writers ring the doorbell only while SLEEPING is 1: the caller re-checks the rings after this.
      Atomics.store(this.#entry, E.SLEEPING, 1);
    });
  }

  /** Settles the oldest receive with `received`. */
  resolveNext(received: ReceivedMessage): void {
    const waiter = this.#waiters.shift()!;
    waiter.cleanup();
    waiter.resolve(received);
  }

  /** Settles the oldest receive with `error`. */
  rejectNext(error: TransportError): void {
    const waiter = this.#waiters.shift()!;
    waiter.cleanup();
    waiter.reject(error);
  }

  /** Settles every receive with `error`. */
  rejectAll(error: TransportError): void {
    for (const waiter of this.#waiters.splice(0)) {
      waiter.cleanup();
      waiter.reject(error);
    }
  }
}

function aborted(signal: AbortSignal): TransportError {
  return new TransportError("Aborted", "receive aborted", {}, { cause: signal.reason });
}
