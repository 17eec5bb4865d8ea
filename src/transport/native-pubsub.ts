import type { Message } from "../protocol/message.js";
import type { SendOptions, Transport } from "./transport.js";

/**
 * An optional capability of a transport whose broker does publish/subscribe itself (NATS): the
 * broker matches subjects, picks one member per queue group and fans out, so a publish is one
 * message whatever the number of subscribers. `PubSub` uses it when its transport has one
 * (`nativePubSubOf`) and falls back to its own interest-based routing otherwise; it never
 * imports a particular transport, and the demux is not involved (native events do not pass
 * through the transport's receive queue: each goes straight to its subscription's bounded queue).
 *
 * Subjects and patterns use the pub/sub grammar (`*` one token, a final `>` the rest), which
 * the broker shares. A publish is delivered to this endpoint's own matching subscriptions too.
 */
export interface NativePubSub {
  /** Publishes `message` once on `subject`. Resolves once the transport took it (bounded like `send`). */
  publish(subject: string, message: Message, options?: SendOptions): Promise<void>;
  /** Subscribes to `pattern` (`queue` "" for none); `onEvent` runs for each event, synchronously, in arrival order. */
  subscribe(pattern: string, queue: string, onEvent: (event: NativeEvent) => void): NativeSubscription;
  /**
   * Publishes a request on `subject`; `onReply` gets every reply (a Response message), or
   * `undefined` once when the broker knows no subscriber ("no responders"). Returns a function
   * that stops listening for replies.
   */
  request(subject: string, message: Message, onReply: (reply: Message | undefined) => void): () => void;
  /** Durable events (a broker that stores them, e.g. NATS JetStream); undefined when the broker has none. */
  readonly durable: DurableEvents | undefined;
}

/**
 * Events the broker stores (bounded by its limits) and delivers to named durable consumers
 * with acknowledgement: a consumer that was away receives what it missed, in order, when it
 * comes back.
 */
export interface DurableEvents {
  /** Stores `message` under `subject`; resolves once the broker has persisted it. */
  publish(subject: string, message: Message): Promise<void>;
  /**
   * Attaches the durable consumer `name` (created on first use, filtered by `pattern`) and
   * hands its events to `onEvent` one at a time: the next comes once the promise `onEvent`
   * returns has resolved. Each event must be settled: `ack` once handled, `nak` to have it
   * delivered again. Rejects with a TransportError when the broker refuses.
   */
  consume(name: string, pattern: string, onEvent: (event: DurableEvent) => Promise<void> | void): Promise<DurableConsumer>;
}

/** A stored event delivered to a durable consumer. */
export interface DurableEvent {
  readonly subject: string;
  readonly message: Message;
  /** Handled: not delivered to this consumer again (a redelivery after a lost acknowledgement is dropped while the consumer runs). */
  ack(): void;
  /** Not handled: delivered again (first, before anything newer). */
  nak(): void;
}

/** A running durable consumer; `stop` detaches it (the broker keeps its position). */
export interface DurableConsumer {
  stop(): Promise<void>;
}

/** An event delivered by the broker. */
export interface NativeEvent {
  /** The event's subject (our grammar, without any broker prefix). */
  readonly subject: string;
  readonly message: Message;
  /** Present when the publisher awaits replies (a topic request): sends `reply` to it. */
  readonly respond: ((reply: Message) => void) | undefined;
}

/** A native subscription; `unsubscribe` is idempotent. */
export interface NativeSubscription {
  unsubscribe(): void;
}

/** The property under which a transport offers its `NativePubSub`. */
export const NATIVE_PUBSUB: unique symbol = Symbol.for("swarm-transport.NativePubSub");

/** A transport with a `NativePubSub`. */
export interface NativePubSubCapable {
  readonly [NATIVE_PUBSUB]: NativePubSub;
}

/** The transport's `NativePubSub`, or undefined when it has none. */
export function nativePubSubOf(transport: Transport): NativePubSub | undefined {
  return (transport as Partial<NativePubSubCapable>)[NATIVE_PUBSUB];
}
