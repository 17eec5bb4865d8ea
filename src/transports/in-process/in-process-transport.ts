import type { Message } from "../../protocol/message.js";
import { BoundedQueue } from "../../transport/bounded-queue.js";
import { resolveConfig, type TransportConfig } from "../../transport/config.js";
import { TransportError } from "../../transport/errors.js";
import { StatsRecorder, type TransportStats } from "../../transport/stats.js";
import type {
  PeerGoneEvent,
  ReceivedMessage,
  ReceiveOptions,
  SendOptions,
  Transport,
  TransportState,
} from "../../transport/transport.js";
import { Envelope } from "../../../generated/swarm/transport/v1/envelope.js";
import { InProcessNetwork } from "./in-process-network.js";

const RESOLVED: Promise<void> = Promise.resolve();

/** A queued message and when it was queued (ms since the epoch). */
interface Delivery extends ReceivedMessage {
  readonly at: number;
}

/**
 * Endpoints in one JavaScript realm, passing messages by reference: nothing is encoded or
 * copied, so a sent message must not be changed afterwards. Each endpoint has a bounded
 * receive queue (`queueCapacity`); a sender to a full queue waits for space up to
 * `connectionTimeoutMs`, and at most `queueCapacity` senders wait at once (then `QueueFull`).
 * `maxMessageSize` is enforced against the size the message would have on the wire.
 */
export class InProcessTransport implements Transport {
  readonly localAddress: string;
  readonly config: Readonly<TransportConfig>;
  readonly #network: InProcessNetwork;
  readonly #queue: BoundedQueue<Delivery>;
  readonly #stats = new StatsRecorder();
  #state: TransportState = "open";
  readonly #peerGoneListeners = new Set<(event: PeerGoneEvent) => void>();

  /** Use `InProcessNetwork.connect` or `InProcessTransport.createPair`. @internal */
  constructor(localAddress: string, network: InProcessNetwork, config?: Partial<TransportConfig>) {
    this.localAddress = localAddress;
    this.#network = network;
    this.config = resolveConfig(config);
    this.#queue = new BoundedQueue(this.config.queueCapacity);
  }

  /** Two endpoints on a fresh network of their own (or on `network`), as the seed's `create_pair`. */
  static async createPair(
    first: string,
    second: string,
    config?: Partial<TransportConfig>,
    network: InProcessNetwork = new InProcessNetwork(),
  ): Promise<[InProcessTransport, InProcessTransport]> {
    const a = network.connect(first, config);
    try {
      return [a, network.connect(second, config)];
    } catch (error) {
      await a.close();
      throw error;
    }
  }

  get state(): TransportState {
    return this.#state;
  }

  send(to: string, message: Message, options?: SendOptions): Promise<void> {
    if (this.#state !== "open") return this.#fail(TransportError.closed(`transport "${this.localAddress}"`));
    const peer = this.#network.lookup(to);
    if (peer === undefined) {
      return this.#fail(new TransportError("InvalidAddress", `no in-process endpoint "${to}" (never connected or closed)`, { address: to }));
    }
    return this.#deliver(peer, message, options);
  }

  broadcast(message: Message, options?: SendOptions): Promise<void> {
    if (this.#state !== "open") return this.#fail(TransportError.closed(`transport "${this.localAddress}"`));
    const deliveries: Promise<void>[] = [];
    for (const peer of this.#network.endpoints()) {
      if (peer !== this) deliveries.push(this.#deliver(peer, message, options));
    }
    return Promise.all(deliveries).then(() => undefined);
  }

  receive(options?: ReceiveOptions): Promise<ReceivedMessage> {
    if (this.#state !== "open" && this.#queue.size === 0) {
      return Promise.reject(TransportError.closed(`transport "${this.localAddress}"`));
    }
    return this.#queue.take(options?.signal).then(this.#onReceived);
  }

  tryReceive(): ReceivedMessage | undefined {
    const received = this.#queue.poll();
    return received === undefined ? undefined : this.#onReceived(received);
  }

  onPeerGone(listener: (event: PeerGoneEvent) => void): () => void {
    this.#peerGoneListeners.add(listener);
    return () => this.#peerGoneListeners.delete(listener);
  }

  /** Tells this endpoint's listeners that `event.address` (or, undefined, everything) is gone. @internal */
  notifyPeerGone(event: PeerGoneEvent): void {
    for (const listener of [...this.#peerGoneListeners]) {
      try {
        listener(event);
      } catch {
        this.#stats.errors++;
      }
    }
  }

  isConnected(): boolean {
    return this.#state === "open";
  }

  stats(): TransportStats {
    return this.#stats.snapshot();
  }

  close(): Promise<void> {
    if (this.#state !== "open") return RESOLVED;
    this.#state = "closed";
    this.#network.unregister(this);
    this.#stats.messagesDropped += this.#queue.close(TransportError.closed(`transport "${this.localAddress}"`));
    this.notifyPeerGone({ address: undefined, reason: "closed" });
    this.#peerGoneListeners.clear();
    for (const peer of this.#network.endpoints()) peer.notifyPeerGone({ address: this.localAddress, reason: "closed" });
    return RESOLVED;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ReceivedMessage> {
    while (true) {
      let received: ReceivedMessage;
      try {
        received = await this.receive();
      } catch (error) {
        if (TransportError.is(error, "Closed")) return;
        throw error;
      }
      yield received;
    }
  }

  #deliver(peer: InProcessTransport, message: Message, options: SendOptions | undefined): Promise<void> {
    const error = this.#checkSize(message);
    if (error !== undefined) return this.#fail(error);
    // One clock read per message: the receiver's activity time is when the message reached its queue.
    const received: Delivery = { from: this.localAddress, message, at: Date.now() };
    const stats = this.#stats;
    if (peer.#queue.offer(received)) {
      stats.messagesSent++;
      stats.lastActivityMs = received.at;
      return RESOLVED;
    }
    const queue = peer.#queue;
    const what = `receive queue of "${peer.localAddress}"`;
    return queue.offerWait(received, this.config.connectionTimeoutMs, queue.capacity, options?.signal, what).then(
      () => {
        stats.messagesSent++;
        stats.lastActivityMs = Date.now();
      },
      (error: unknown) => {
        stats.errors++;
        throw error;
      },
    );
  }

  /**
   * `maxMessageSize` against the wire size without encoding in the common case: the cached
   * upper bound settles small messages; only a message whose bound is over the limit is encoded
   * for its exact size.
   */
  #checkSize(message: Message): TransportError | undefined {
    const max = this.config.maxMessageSize;
    try {
      if (message.sizeUpperBound() <= max) return undefined;
      const size = Envelope.encode(message.envelope).finish().length;
      return size > max ? TransportError.tooLarge(size, max) : undefined;
    } catch (error) {
      return TransportError.is(error)
        ? error
        : new TransportError("SerializationError", `cannot encode message: ${String(error)}`, {}, { cause: error });
    }
  }

  #fail(error: TransportError): Promise<never> {
    this.#stats.errors++;
    return Promise.reject(error);
  }

  readonly #onReceived = (received: Delivery): ReceivedMessage => {
    this.#stats.messagesReceived++;
    this.#stats.lastActivityMs = received.at;
    return received;
  };
}
