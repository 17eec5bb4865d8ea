import type { NatsConnection } from "@nats-io/transport-node";

interface Pending {
  subject: string;
  frame: Uint8Array;
  reply: string | undefined;
}

/**
 * Coalesces the publishes of one turn of the event loop. The NATS client writes to its socket
 * once per microtask checkpoint, so a sender that awaits each send would pay a syscall per
 * message; handing the client every publish of the turn at once (on `setImmediate`) lets it
 * write them together, as the WebSocket link batches its frames. Order is kept: everything
 * this transport publishes goes through here.
 * @internal
 */
export class PublishBatch {
  readonly #nc: NatsConnection;
  readonly #onError: (error: unknown) => void;
  #pending: Pending[] = [];
  #spare: Pending[] = [];
  #scheduled = false;

  /** `onError` hears of a publish the client refused (the connection closed meanwhile). */
  constructor(nc: NatsConnection, onError: (error: unknown) => void) {
    this.#nc = nc;
    this.#onError = onError;
  }

  /** Publishes `frame` on `subject` at the end of this turn. */
  add(subject: string, frame: Uint8Array, reply?: string): void {
    this.#pending.push({ subject, frame, reply });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Hands everything pending to the client now. */
  readonly flush = (): void => {
    this.#scheduled = false;
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = this.#spare;
    const nc = this.#nc;
    for (const { subject, frame, reply } of batch) {
      try {
        if (reply === undefined) nc.publish(subject, frame);
        else nc.publish(subject, frame, { reply });
      } catch (error) {
        this.#onError(error);
      }
    }
    batch.length = 0;
    this.#spare = batch;
  };
}
