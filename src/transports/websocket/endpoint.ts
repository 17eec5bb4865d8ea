import type { Message } from "../../protocol/message.js";
import { BoundedQueue } from "../../transport/bounded-queue.js";
import type { TransportConfig } from "../../transport/config.js";
import { TransportError } from "../../transport/errors.js";
import { StatsRecorder, type TransportStats } from "../../transport/stats.js";
import type { PeerGoneEvent, ReceivedMessage, ReceiveOptions } from "../../transport/transport.js";

/**
 * The receive side every WebSocket endpoint (client, hub) shares: a bounded receive queue,
 * peer-gone listeners, stats and async iteration. When the queue is full, incoming messages
 * wait in `#overflow` and the socket that delivered them is paused (`pauseSource`), so TCP
 * pushes back on the sender instead of this process buffering without bound.
 * @internal
 */
export class EndpointCore {
  readonly stats = new StatsRecorder();
  readonly queue: BoundedQueue<ReceivedMessage>;
  readonly #listeners = new Set<(event: PeerGoneEvent) => void>();
  readonly #overflow: { received: ReceivedMessage; resume: (() => void) | undefined }[] = [];
  /** Names this endpoint in error messages. */
  readonly what: string;

  /** Called for each message the application takes (receive / tryReceive). */
  onTaken: ((received: ReceivedMessage) => void) | undefined;

  constructor(config: Readonly<TransportConfig>, what: string) {
    this.queue = new BoundedQueue(config.queueCapacity);
    this.what = what;
  }

  /**
   * Queues an incoming message. When the queue is full it is kept aside and `pause` is called
   * (if given) so the source stops reading; `resume` runs once the queue has room again.
   */
  deliver(from: string, message: Message, pause?: () => void, resume?: () => void): void {
    const received: ReceivedMessage = { from, message };
    if (this.#overflow.length === 0 && this.queue.offer(received)) return;
    this.#overflow.push({ received, resume });
    pause?.();
  }

  /** Queues an incoming message if there is room now; false (nothing queued) when full. */
  offer(from: string, message: Message): boolean {
    return this.#overflow.length === 0 && this.queue.offer({ from, message });
  }

  receive(options?: ReceiveOptions): Promise<ReceivedMessage> {
    if (this.queue.isClosed && this.queue.size === 0) return Promise.reject(TransportError.closed(this.what));
    const taken = this.queue.take(options?.signal);
    return taken.then(this.#onReceived);
  }

  tryReceive(): ReceivedMessage | undefined {
    const received = this.queue.poll();
    return received === undefined ? undefined : this.#onReceived(received);
  }

  onPeerGone(listener: (event: PeerGoneEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  peerGone(address: string | undefined, reason: string): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener({ address, reason });
      } catch {
        this.stats.errors++;
      }
    }
  }

  /** Closes the queue; counts what was still queued (and set aside) as dropped. */
  close(): void {
    this.stats.messagesDropped += this.queue.close(TransportError.closed(this.what)) + this.#overflow.length;
    this.#overflow.length = 0;
    this.peerGone(undefined, "closed");
    this.#listeners.clear();
  }

  snapshot(): TransportStats {
    return this.stats.snapshot();
  }

  fail(error: TransportError): Promise<never> {
    this.stats.errors++;
    return Promise.reject(error);
  }

  readonly #onReceived = (received: ReceivedMessage): ReceivedMessage => {
    this.stats.messagesReceived++;
    this.stats.lastActivityMs = Date.now();
    if (this.#overflow.length > 0) this.#refill();
    this.onTaken?.(received);
    return received;
  };

  #refill(): void {
    while (this.#overflow.length > 0 && this.queue.offer(this.#overflow[0]!.received)) {
      const { resume } = this.#overflow.shift()!;
      if (this.#overflow.length === 0 || this.#overflow[0]!.resume !== resume) resume?.();
    }
  }

  async *iterate(receive: () => Promise<ReceivedMessage>): AsyncGenerator<ReceivedMessage> {
    while (true) {
      let received: ReceivedMessage;
      try {
        received = await receive();
      } catch (error) {
        if (TransportError.is(error, "Closed")) return;
        throw error;
      }
      yield received;
    }
  }
}
