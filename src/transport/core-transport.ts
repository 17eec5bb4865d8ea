import type { EndpointCore } from "./endpoint-core.js";
import type { Message } from "../protocol/message.js";
import type { TransportStats } from "./stats.js";
import type { PeerGoneEvent, ReceivedMessage, ReceiveOptions, SendOptions, Transport, TransportState } from "./transport.js";

/**
 * The part of `Transport` every transport answers from its `EndpointCore` (receiving,
 * iteration, peer-gone listeners, stats). A transport extends it and adds its send path,
 * its byte mover and its lifecycle.
 * @internal
 */
export abstract class CoreTransport implements Transport {
  abstract readonly localAddress: string;
  abstract readonly state: TransportState;
  /** The shared receive side; see EndpointCore. */
  protected abstract readonly core: EndpointCore;

  abstract send(to: string, message: Message, options?: SendOptions): Promise<void>;
  abstract broadcast(message: Message, options?: SendOptions): Promise<void>;
  abstract isConnected(): boolean;
  abstract close(): Promise<void>;

  receive(options?: ReceiveOptions): Promise<ReceivedMessage> {
    return this.core.receive(options);
  }

  tryReceive(): ReceivedMessage | undefined {
    return this.core.tryReceive();
  }

  onPeerGone(listener: (event: PeerGoneEvent) => void): () => void {
    return this.core.onPeerGone(listener);
  }

  stats(): TransportStats {
    return this.core.snapshot();
  }

  [Symbol.asyncIterator](): AsyncIterator<ReceivedMessage> {
    return this.core.iterate();
  }
}
