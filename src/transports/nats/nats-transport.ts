import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Envelope } from "../../../generated/swarm/transport/v1/envelope.js";
import { decodeFrame, encodeFrame, type FrameCodecOptions } from "../../protocol/codec.js";
import { isEndToEndControl } from "../../protocol/control.js";
import { Message } from "../../protocol/message.js";
import { createGzip } from "../../node/gzip.js";
import { resolveConfig, type TransportConfig } from "../../transport/config.js";
import { CoreTransport } from "../../transport/core-transport.js";
import { EndpointCore } from "../../transport/endpoint-core.js";
import { TransportError } from "../../transport/errors.js";
import { NATIVE_PUBSUB, type NativePubSub } from "../../transport/native-pubsub.js";
import type { ReceivedMessage, SendOptions, TransportState } from "../../transport/transport.js";
import { ReceiveCredits } from "../websocket/credits.js";
import { openNatsConnection, serverList, transportPart, type NatsAuth } from "./nats-connect.js";
import { plainBytes } from "./nats-errors.js";
import { NatsDurableEvents } from "./nats-durable.js";
import { NatsNativePubSub } from "./nats-native-pubsub.js";
import { natsPart, resolveNatsTuning, type NatsTuning } from "./nats-options.js";
import { NatsSender } from "./nats-sender.js";
import { NatsSubjects } from "./nats-subjects.js";
import { NatsPeers } from "./nats-peers.js";
import { PublishBatch } from "./publish-batch.js";
import { PublishGate } from "./publish-gate.js";

/** Where and as whom a NATS transport connects. */
export interface NatsTransportOptions extends NatsAuth {
  /** NATS server URLs (`nats://host:port`), or one comma-separated string; the client fails over between them. */
  servers: string | string[];
  /** This agent's id: its address in the swarm. */
  agentId: string;
}

/** `TransportConfig` plus the NATS settings. */
export type NatsConfig = Partial<TransportConfig> & Partial<NatsTuning>;

/**
 * The Transport contract over NATS core (Node, `@nats-io/transport-node`). An agent's address
 * is the subject `<prefix>.a.<id>`; `broadcast` publishes once on `<prefix>.all`; frames are
 * the same bytes as on every byte transport (flags + Envelope, gzip from `compressionThreshold`).
 *
 * - **Reachability**: the first send to an address not yet seen is preceded by a Lookup (a
 *   NATS request to its subject): "no responders" rejects with `InvalidAddress`.
 * - **Flow control**: as on WebSocket, a receiver's window (its `queueCapacity`) bounds the
 *   messages in flight to it; it grants Credit as its application takes them. Publishes the
 *   server has not confirmed are bounded by `maxPendingBytes` (see PublishGate).
 * - **Presence** (see Presence): Hello / Heartbeat / Goodbye on `<prefix>.presence`; a peer
 *   that leaves or falls silent past `heartbeatTimeoutMs` is reported by `onPeerGone`, and so is
 *   a peer that reconnected (what was in flight to it may be lost: NATS core is at most once).
 * - **Failover**: the client reconnects to another server of the cluster. Meanwhile sends are
 *   held (bounded) and `onPeerGone({ address: undefined })` fails the calls in flight.
 * - **Native pub/sub**: `PubSub` publishes and subscribes on NATS subjects directly (`NATIVE_PUBSUB`).
 */
export class NatsTransport extends CoreTransport {
  readonly localAddress: string;
  readonly config: Readonly<TransportConfig>;
  readonly tuning: Readonly<NatsTuning>;
  readonly subjects: NatsSubjects;
  readonly connection: NatsConnection;
  protected readonly core: EndpointCore;
  readonly #codec: FrameCodecOptions;
  readonly #gate: PublishGate;
  readonly #batch: PublishBatch;
  readonly #sender: NatsSender;
  readonly #credits: ReceiveCredits;
  readonly #peers: NatsPeers;
  readonly #native: NatsNativePubSub;
  readonly #subscriptions: Subscription[] = [];
  /** Native publishes waiting in the sender: their subjects, by frame. */
  readonly #nativeRoutes = new WeakMap<Uint8Array, string>();
  /** Bytes of broadcasts waiting beside a full receive queue. */
  #asideBytes = 0;
  /** Bytes of unicast messages waiting beside a full receive queue. */
  #asideUnicastBytes = 0;
  #state: TransportState = "open";
  #connectionClosed: Promise<void> = Promise.resolve();

  private constructor(options: NatsTransportOptions, nc: NatsConnection, config: Readonly<TransportConfig>, tuning: Readonly<NatsTuning>) {
    super();
    this.localAddress = options.agentId;
    this.connection = nc;
    this.config = config;
    this.tuning = tuning;
    this.subjects = new NatsSubjects(tuning.subjectPrefix);
    // a frame is the envelope plus its flags byte, and the server limits the frame
    const maxMessageSize = Math.min(config.maxMessageSize, (nc.info?.max_payload ?? Infinity) - 1);
    this.#codec = { maxMessageSize, enableCompression: config.enableCompression, compressionThreshold: config.compressionThreshold, compression: createGzip() };
    this.core = new EndpointCore(config, `NATS transport "${options.agentId}"`, { taken: (received) => this.#onTaken(received) });
    this.#batch = new PublishBatch(nc, () => {
      this.core.stats.errors++;
      this.core.stats.messagesDropped++;
    });
    // a confirmation covers what was handed to the client before it: the batch goes first
    this.#gate = new PublishGate(tuning.maxPendingBytes, tuning.flushEveryBytes, () => (this.#batch.flush(), nc.flush()), () => this.#sender.flush());
    const servers = serverList(options.servers).join(",");
    this.#sender = new NatsSender(this.core, this.#gate, { publish: (to, frame) => this.#publish(to, frame), lookup: (to) => this.#lookup(to) }, tuning, config.connectionTimeoutMs, servers);
    this.#credits = new ReceiveCredits(config.queueCapacity);
    this.#peers = new NatsPeers(
      options.agentId,
      config.queueCapacity,
      this.subjects,
      { out: (subject, message) => this.#rawPublish(subject, message), request: (subject, message) => this.#request(subject, message) },
      {
        joined: (peer, window, rejoined) => {
          this.#sender.windows.found(peer, window);
          if (rejoined) this.core.peerGone(peer, "reconnected to NATS: messages in flight to or from it may be lost");
          this.#sender.flush();
        },
        gone: (peer, reason) => {
          this.#sender.peerGone(peer, reason);
          this.core.peerGone(peer, reason);
        },
      },
      tuning.maxPeers,
      tuning.heartbeatTimeoutMs,
    );
    const durable = new NatsDurableEvents(nc, this.subjects, this.#codec, tuning, config.connectionTimeoutMs);
    this.#native = new NatsNativePubSub(
      nc,
      this.subjects,
      this.#codec,
      this.core.stats,
      { publish: (subject, message, options) => this.#publishNative(subject, message, options), out: (subject, frame, reply) => this.#out(subject, frame, reply) },
      durable,
    );
  }

  /**
   * Connects to the first reachable server of `options.servers` within `connectionTimeoutMs`,
   * checks that no other agent answers on this id (`AddressInUse`), subscribes and says Hello.
   * Rejects with `ConnectionError` when no server answers.
   */
  static async connect(options: NatsTransportOptions, config: NatsConfig = {}): Promise<NatsTransport> {
    if (typeof options.agentId !== "string" || options.agentId.length === 0) {
      throw new TransportError("InvalidAddress", "agentId must be a non-empty string", { address: String(options.agentId) });
    }
    const resolved = resolveConfig(transportPart(config));
    const tuning = resolveNatsTuning(natsPart(config), resolved);
    const nc = await openNatsConnection(serverList(options.servers), options.agentId, options, resolved, tuning);
    const transport = new NatsTransport(options, nc, resolved, tuning);
    try {
      await transport.#start();
    } catch (error) {
      await transport.close();
      throw error;
    }
    return transport;
  }

  get state(): TransportState {
    return this.#state;
  }

  /** Ids of the peers presence knows of. */
  peers(): string[] {
    return this.#peers.presence.peers();
  }

  /** Sends waiting for credit, confirmation or a reconnect. */
  get pendingSends(): number {
    return this.#sender.pending;
  }

  /** Bytes published that the server has not confirmed yet. */
  get unconfirmedBytes(): number {
    return this.#gate.unconfirmed;
  }

  /** Publish/subscribe on NATS subjects, for `PubSub` (see NativePubSub). */
  get [NATIVE_PUBSUB](): NativePubSub {
    return this.#native;
  }

  isConnected(): boolean {
    return this.#state === "open" && this.#sender.connected;
  }

  send(to: string, message: Message, options?: SendOptions): Promise<void> {
    if (this.#state !== "open") return this.core.fail(TransportError.closed(this.core.what));
    if (message.source !== this.localAddress) {
      return this.core.fail(new TransportError("InvalidAddress", `message source "${message.source}" is not this agent ("${this.localAddress}")`, { address: message.source }));
    }
    const frame = this.#frameTo(to, message);
    if (frame instanceof TransportError) return this.core.fail(frame);
    return this.#sender.submit(to, frame, options);
  }

  broadcast(message: Message, options?: SendOptions): Promise<void> {
    if (this.#state !== "open") return this.core.fail(TransportError.closed(this.core.what));
    const frame = this.#frameTo(undefined, message);
    if (frame instanceof TransportError) return this.core.fail(frame);
    return this.#sender.submit(undefined, frame, options);
  }

  /**
   * Fails waiting sends with `Closed`, stops receiving, flushes what was published, then says
   * Goodbye and closes the NATS connection. Resolves once this endpoint is closed; the socket
   * finishes closing just after (`connectionClosed`), so peers learn of the Goodbye after
   * `close()` has resolved. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#state !== "open") return;
    this.#state = "closing";
    this.#peers.stop(false);
    this.#sender.shutdown(TransportError.closed(this.core.what));
    this.#gate.close();
    this.#native.close();
    const nc = this.connection;
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#batch.flush();
    if (!nc.isClosed()) {
      const bound = Math.max(1, Math.min(1000, this.config.connectionTimeoutMs));
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([nc.flush().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, bound)))]);
      clearTimeout(timer);
    }
    this.core.close();
    this.#state = "closed";
    if (!nc.isClosed()) {
      this.#presenceSend(Message.goodbye(this.localAddress, "closed"));
      this.#batch.flush();
      this.#connectionClosed = nc.close().catch(() => undefined);
    }
  }

  /**
   * Resolves once the server has taken everything this transport published so far (a PING/PONG
   * round trip after handing over this turn's batch); rejects when the connection drops first.
   */
  async flush(): Promise<void> {
    this.#batch.flush();
    await this.connection.flush();
  }

  /** Resolves once the NATS connection has closed (after `close()`). */
  get connectionClosed(): Promise<void> {
    return this.#connectionClosed;
  }

  async #start(): Promise<void> {
    const nc = this.connection;
    await this.#peers.claim();
    this.#subscriptions.push(
      nc.subscribe(this.subjects.agent(this.localAddress), { callback: (error, msg) => this.#onInbox(error, msg) }),
      nc.subscribe(this.subjects.all, { callback: (error, msg) => this.#onBroadcast(error, msg) }),
      nc.subscribe(this.subjects.presence, { callback: (error, msg) => this.#onPresence(error, msg) }),
    );
    this.#peers.start(this.tuning.heartbeatIntervalMs);
    this.#batch.flush();
    await nc.flush();
    void this.#watchStatus();
    nc.closed().then(() => this.#onClientClosed(), () => this.#onClientClosed());
  }

  async #watchStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (this.#state !== "open") return;
      switch (status.type) {
        case "disconnect": {
          const error = new TransportError("ConnectionError", `connection to NATS server ${status.server} lost; failing over`);
          this.#sender.disconnected(error);
          this.core.peerGone(undefined, error.message);
          break;
        }
        case "reconnect":
          this.core.stats.reconnections++;
          this.#peers.reconnected();
          this.#credits.reset();
          // what was in flight may be lost, and its credit with it: every window starts full again
          for (const peer of this.#peers.presence.peers()) this.#sender.windows.found(peer, this.#peers.presence.window(peer) ?? 0);
          this.#sender.connected = true;
          this.#sender.flush();
          break;
        case "error":
          this.core.stats.errors++;
          break;
        default:
      }
    }
  }

  /** The client closed by itself (it gave up reconnecting): the transport closes with it. */
  #onClientClosed(): void {
    if (this.#state !== "open") return;
    this.#state = "closing";
    this.#peers.stop(false);
    this.#sender.shutdown(new TransportError("ConnectionError", `gave up reconnecting to NATS after ${this.config.retryAttempts} attempts per server`));
    this.#gate.close();
    this.#native.close();
    this.core.close();
    this.#state = "closed";
  }

  /** Unicast frames, Lookups, Credit and presence answers addressed to this agent. */
  #onInbox(error: Error | null, msg: Msg): void {
    const envelope = this.#decode(error, msg);
    if (envelope === undefined) return;
    const payload = envelope.payload;
    if (payload?.$case === "control" && !isEndToEndControl(envelope)) {
      const operation = payload.value.operation;
      switch (operation?.$case) {
        case "lookup":
          if (msg.reply) this.#out(msg.reply, this.#frame(this.#peers.lookupResult()));
          return;
        case "credit":
          this.#sender.windows.grant(envelope.source, operation.value.count);
          return this.#sender.flush();
        case "undeliverable":
          // a receiver dropped one of our messages (its queue was full), as a hub's Undeliverable
          this.core.stats.messagesDropped++;
          this.core.stats.errors++;
          return;
        default:
          return;
      }
    }
    if (payload?.$case === "heartbeat") return this.#peers.heard(envelope);
    if (payload === undefined) return;
    this.#peers.presence.seen(envelope.source, Date.now());
    const received = { from: envelope.source, message: new Message(envelope) };
    const bytes = msg.data.length;
    if (this.core.offer(received, bytes)) return;
    // Metered by credit, but NATS cannot be paused and a window is counted in messages: past the
    // queue, at most queueCapacityBytes of unicast wait beside it; beyond, a message is dropped and
    // its sender told (QueueFull), as a hub answers for a full inbox.
    if (this.#asideUnicastBytes + bytes > this.config.queueCapacityBytes) return this.#refuse(envelope, bytes);
    this.#asideUnicastBytes += bytes;
    this.core.deliver(received.from, received.message, bytes, undefined, () => void (this.#asideUnicastBytes -= bytes));
  }

  /** A unicast message past the receive bounds: dropped, counted, its sender told (while publishes have room: a flood must not become one back). */
  #refuse(envelope: Envelope, bytes: number): void {
    this.core.stats.messagesDropped++;
    if (!this.#gate.hasRoom) return;
    const reason = `receive queue of ${this.core.what} full (${bytes} bytes past ${this.config.queueCapacityBytes} bytes waiting beside it)`;
    const value = { messageId: envelope.id, destination: this.localAddress, code: "QueueFull", reason };
    try {
      this.#rawPublish(this.subjects.agent(envelope.source), Message.control(this.localAddress, { operation: { $case: "undeliverable", value } }));
    } catch {
      this.core.stats.errors++;
    }
  }

  #onBroadcast(error: Error | null, msg: Msg): void {
    const envelope = this.#decode(error, msg);
    if (envelope === undefined || envelope.source === this.localAddress || envelope.payload === undefined) return;
    const received = { from: envelope.source, message: new Message(envelope) };
    const bytes = msg.data.length;
    if (this.core.offer(received, bytes)) return;
    // Broadcasts are not metered and NATS cannot be paused: past the queue, at most
    // queueCapacityBytes more wait beside it; beyond that they are dropped, as NATS drops for a slow consumer.
    if (this.#asideBytes + bytes > this.config.queueCapacityBytes) {
      this.core.stats.messagesDropped++;
      return;
    }
    this.#asideBytes += bytes;
    this.core.deliver(received.from, received.message, bytes, undefined, () => void (this.#asideBytes -= bytes));
  }

  #onPresence(error: Error | null, msg: Msg): void {
    const envelope = this.#decode(error, msg);
    if (envelope !== undefined) this.#peers.onPresence(envelope);
  }

  #decode(error: Error | null, msg: Msg): Envelope | undefined {
    if (error !== null) {
      this.core.stats.errors++;
      return undefined;
    }
    try {
      const envelope = decodeFrame(plainBytes(msg.data), this.#codec);
      this.core.stats.bytesReceived += msg.data.length;
      return envelope;
    } catch (cause) {
      this.core.fault(TransportError.from(cause));
      return undefined;
    }
  }

  /** The sender's write: a frame to an agent's subject, to everyone, or (a native publish) to its subject. */
  #publish(to: string | undefined, frame: Uint8Array): void {
    const native = to === undefined ? this.#nativeRoutes.get(frame) : undefined;
    if (native !== undefined) this.#nativeRoutes.delete(frame);
    this.#out(native ?? (to === undefined ? this.subjects.all : this.subjects.agent(to)), frame);
  }

  /** `message` encoded with `destination` set to `to` (the caller's message is left as it was), or why it cannot be. */
  #frameTo(to: string | undefined, message: Message): Uint8Array | TransportError {
    const envelope = message.envelope;
    const previous = envelope.destination;
    envelope.destination = to;
    try {
      return this.#frame(message);
    } catch (error) {
      return TransportError.from(error);
    } finally {
      envelope.destination = previous;
    }
  }

  /** A native event through the sender's queue and bounds (the sender knows it by its frame). */
  #publishNative(subject: string, message: Message, options: SendOptions | undefined): Promise<void> {
    if (this.#state !== "open") return this.core.fail(TransportError.closed(this.core.what));
    const frame = this.#frameTo(undefined, message);
    if (frame instanceof TransportError) return this.core.fail(frame);
    this.#nativeRoutes.set(frame, subject);
    return this.#sender.submit(undefined, frame, options);
  }

  #rawPublish(subject: string, message: Message): void {
    this.#out(subject, this.#frame(message));
  }

  /** Every publish of this transport: batched per turn, counted, held to the gate's bound. */
  #out(subject: string, frame: Uint8Array, reply?: string): void {
    this.#batch.add(subject, frame, reply);
    this.core.stats.bytesSent += frame.length;
    this.#gate.published(frame.length);
  }

  #frame(message: Message): Uint8Array {
    try {
      return encodeFrame(message.envelope, this.#codec);
    } catch (error) {
      throw TransportError.from(error);
    }
  }

  /** The sender's Lookup of an address it has not seen. */
  #lookup(to: string): void {
    this.#peers.lookup(to).then(
      ({ found, window }) => this.#sender.onLookupResult(to, found, window),
      (error: TransportError) => this.#sender.lookupFailed(to, error),
    );
  }

  /** A NATS request straight to the client (not batched: nothing depends on its order). */
  async #request(subject: string, message: Message): Promise<Envelope | undefined> {
    const reply = await this.connection.request(subject, this.#frame(message), { timeout: Math.max(1, this.config.connectionTimeoutMs) });
    try {
      return decodeFrame(plainBytes(reply.data), this.#codec);
    } catch {
      return undefined; // an answer we cannot read still proves someone listens there
    }
  }

  #presenceSend(message: Message): void {
    try {
      this.#rawPublish(this.subjects.presence, message);
    } catch {
      this.core.stats.errors++;
    }
  }

  /** The application took a unicast message: grant its sender credit. */
  #onTaken(received: ReceivedMessage): void {
    const { from, message } = received;
    if (message.destination !== this.localAddress || from === this.localAddress) return;
    const count = this.#credits.taken(from);
    if (count > 0 && this.#state === "open") {
      try {
        this.#rawPublish(this.subjects.agent(from), Message.control(this.localAddress, { operation: { $case: "credit", value: { address: from, count } } }));
      } catch {
        this.core.stats.errors++;
      }
    }
  }
}
