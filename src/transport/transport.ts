import type { Services } from "../../generated/swarm/transport/v1/control.js";
import type { Message } from "../protocol/message.js";
import type { TransportStats } from "./stats.js";

/** A message as delivered: who handed it over, and the message. */
export interface ReceivedMessage {
  /** Address of the endpoint that sent it (the link-level sender; `message.source` is the author). */
  readonly from: string;
  readonly message: Message;
}

/** Options for one `send` or `broadcast`. */
export interface SendOptions {
  /** Abandons a send that is waiting (for queue space, credit, the socket, a connection); it rejects with an `Aborted` TransportError. */
  signal?: AbortSignal | undefined;
  /**
   * How long this send may wait, in ms, before it rejects with `Timeout`; replaces the
   * transport's `connectionTimeoutMs` for this send. `Infinity`: no limit, so only `signal`
   * ends the wait (an RPC call with a deadline sends this way: its deadline bounds the wait).
   */
  timeoutMs?: number | undefined;
}

/** Options for one `receive`. */
export interface ReceiveOptions {
  /** Abandons the wait; `receive` rejects with an `Aborted` TransportError and takes nothing. */
  signal?: AbortSignal;
}

/** Why a peer (or every peer) became unreachable. */
export interface PeerGoneEvent {
  /** The address that went away; undefined when this endpoint lost every peer (its link dropped or it closed). */
  readonly address: string | undefined;
  /** Human-readable reason, e.g. "closed", "connection lost". */
  readonly reason: string;
}

/** "open" until `close()` starts; "closed" once every resource is released. */
export type TransportState = "open" | "closing" | "closed";

/**
 * What every transport provides, and all the RPC and pub/sub layers use. Messages between
 * one sender and one receiver arrive in the order they were sent (FIFO per sender).
 *
 * Iterating a transport (`for await (const { from, message } of transport)`) receives until
 * the transport closes, then ends without an error.
 */
export interface Transport extends AsyncIterable<ReceivedMessage> {
  /** This endpoint's address (its agent id). */
  readonly localAddress: string;
  /** Lifecycle state. */
  readonly state: TransportState;
  /**
   * Delivers `message` to the endpoint at address `to`. Resolves once the transport has taken
   * the message (queued or written), not when the peer has processed it. Rejects with a
   * TransportError: `InvalidAddress` (no such endpoint), `MessageTooLarge`, `SerializationError`
   * (the message cannot be encoded), `QueueFull`, `Timeout` (backpressure lasted longer than
   * `options.timeoutMs`, default `connectionTimeoutMs`), `Aborted` or `Closed`.
   */
  send(to: string, message: Message, options?: SendOptions): Promise<void>;
  /** Delivers `message` to every other endpoint this one reaches, never back to itself. */
  broadcast(message: Message, options?: SendOptions): Promise<void>;
  /**
   * The next message, waiting if none is queued. Rejects with `Closed` when the transport is
   * closed (including while waiting) and `Aborted` when `signal` aborts.
   */
  receive(options?: ReceiveOptions): Promise<ReceivedMessage>;
  /**
   * The next queued message without waiting, or undefined when none is queued (or the
   * transport is closed). Lets a dispatcher drain a burst synchronously after one `receive()`.
   */
  tryReceive(): ReceivedMessage | undefined;
  /**
   * Calls `listener` when an endpoint this one talked to becomes unreachable, so callers can
   * fail its pending work at once instead of waiting for a timeout. Returns an unsubscribe
   * function. When this transport closes, listeners get `{ address: undefined }` once.
   */
  onPeerGone(listener: (event: PeerGoneEvent) => void): () => void;
  /** Whether messages can currently be sent. */
  isConnected(): boolean;
  /**
   * Releases every resource (queues, timers, sockets, listeners). Pending receives and sends
   * reject with `Closed`; queued, undelivered messages are counted as dropped. Idempotent.
   */
  close(): Promise<void>;
  /** A snapshot of the counters. */
  stats(): TransportStats;
  /**
   * Tells the network which RPC services this endpoint serves, replacing what it said before
   * (an RpcServer calls it as services are added). Only transports whose network routes by
   * service implement it: a WebSocket client tells its hub (Control `Services`, again after
   * every reconnect), and the hub's HTTP edge then routes gRPC/Connect calls to it.
   */
  announceServices?(services: ServiceAnnouncement): void;
  /**
   * True when the network fans out publishes itself: an Event `broadcast` from this endpoint
   * reaches only the endpoints with a matching subscription (and one member per queue group),
   * which the network learned from the Subscribe announcements passing through it. A WebSocket
   * client whose hub agreed to "multicast" (docs/wire-format.md, section 5.11); PubSub then
   * sends one message per publish instead of one per subscriber. Absent or false elsewhere.
   */
  readonly multicast?: boolean;
}

/** The RPC services an endpoint serves (the wire's `Services` control). */
export type ServiceAnnouncement = Services;
