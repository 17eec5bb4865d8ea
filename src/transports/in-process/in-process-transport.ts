import type { Message } from "../../protocol/message.js";
import { resolveConfig, type TransportConfig } from "../../transport/config.js";
import { CoreTransport } from "../../transport/core-transport.js";
import { EndpointCore } from "../../transport/endpoint-core.js";
import { TransportError } from "../../transport/errors.js";
import { SENT } from "../../transport/sent.js";
import type { ReceivedMessage, SendOptions, TransportState } from "../../transport/transport.js";
import { Envelope } from "../../../generated/swarm/transport/v1/envelope.js";
import { InProcessNetwork } from "./in-process-network.js";

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Endpoints in one JavaScript realm, passing messages by reference: nothing is encoded or
 * copied, so a sent message must not be changed afterwards. Each endpoint has a bounded
 * receive queue (`queueCapacity` messages, `queueCapacityBytes` bytes of wire size); a sender
 * to a full queue waits for space up to `connectionTimeoutMs` (or the send's `timeoutMs`), and at most `queueCapacity`
 * senders wait at once (then `QueueFull`). `maxMessageSize` is enforced against the size the
 * message would have on the wire.
 */
export class InProcessTransport extends CoreTransport {
  readonly localAddress: string;
  readonly config: Readonly<TransportConfig>;
  readonly #network: InProcessNetwork;
  protected readonly core: EndpointCore;
  #state: TransportState = "open";

  /** Use `InProcessNetwork.connect` or `InProcessTransport.createPair`. @internal */
  constructor(localAddress: string, network: InProcessNetwork, config?: Partial<TransportConfig>) {
    super();
    this.localAddress = localAddress;
    this.#network = network;
    this.config = resolveConfig(config);
    this.core = new EndpointCore(this.config, `transport "${localAddress}"`);
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
    if (this.#state !== "open") return this.core.fail(TransportError.closed(this.core.what));
    const peer = this.#network.lookup(to);
    if (peer === undefined) {
      return this.core.fail(new TransportError("InvalidAddress", `no in-process endpoint "${to}" (never connected or closed)`, { address: to }));
    }
    return this.#deliver(peer, message, options);
  }

  broadcast(message: Message, options?: SendOptions): Promise<void> {
    if (this.#state !== "open") return this.core.fail(TransportError.closed(this.core.what));
    const deliveries: Promise<void>[] = [];
    for (const peer of this.#network.endpoints()) {
      if (peer !== this) deliveries.push(this.#deliver(peer, message, options));
    }
    return Promise.all(deliveries).then(() => undefined);
  }

  /** Tells this endpoint's listeners that `address` is gone. @internal */
  notifyPeerGone(address: string, reason: string): void {
    this.core.peerGone(address, reason);
  }

  isConnected(): boolean {
    return this.#state === "open";
  }

  close(): Promise<void> {
    if (this.#state !== "open") return RESOLVED;
    this.#state = "closed";
    this.#network.unregister(this);
    this.core.close();
    for (const peer of this.#network.endpoints()) peer.notifyPeerGone(this.localAddress, "closed");
    return RESOLVED;
  }

  #deliver(peer: InProcessTransport, message: Message, options: SendOptions | undefined): Promise<void> {
    const bytes = this.#wireSize(message);
    if (typeof bytes !== "number") return this.core.fail(bytes);
    const received: ReceivedMessage = { from: this.localAddress, message };
    const stats = this.core.stats;
    const core = peer.core;
    // One clock read per message: the receiver's activity time is when it reached its queue.
    const now = Date.now();
    if (core.offer(received, bytes, now)) {
      stats.messagesSent++;
      stats.lastActivityMs = now;
      return SENT;
    }
    if (core.isClosed) return this.core.fail(TransportError.closed(core.what));
    return core.offerWait(received, bytes, options?.timeoutMs ?? this.config.connectionTimeoutMs, this.config.queueCapacity, options?.signal).then(
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
   * The message's size on the wire, bounded by `maxMessageSize`, without encoding in the common
   * case: the cached upper bound settles small messages; only a message whose bound is over the
   * limit is encoded for its exact size. An error when it is too large or cannot be encoded.
   */
  #wireSize(message: Message): number | TransportError {
    const max = this.config.maxMessageSize;
    try {
      const bound = message.sizeUpperBound();
      if (bound <= max) return bound;
      const size = Envelope.encode(message.envelope).finish().length;
      return size > max ? TransportError.tooLarge(size, max) : size;
    } catch (error) {
      return TransportError.from(error);
    }
  }
}
