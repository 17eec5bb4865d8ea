import { connect, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
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
import { isNoResponders, natsError, plainBytes } from "./nats-errors.js";
import { NatsDurableEvents } from "./nats-durable.js";
import { NatsNativePubSub } from "./nats-native-pubsub.js";
import { natsPart, resolveNatsTuning, type NatsTuning } from "./nats-options.js";
import { NatsSender } from "./nats-sender.js";
import { NatsSubjects } from "./nats-subjects.js";
import { EPOCH_HEADER, Presence, WINDOW_HEADER } from "./presence.js";
import { PublishBatch } from "./publish-batch.js";
import { PublishGate } from "./publish-gate.js";

/** Where and as whom a NATS transport connects. */
export interface NatsTransportOptions {
  /** NATS server URLs (`nats://host:port`), or one comma-separated string; the client fails over between them. */
  servers: string | string[];
  /** This agent's id: its address in the swarm. */
  agentId: string;
  /** A NATS auth token. */
  token?: string;
  /** NATS user and password. */
  user?: string;
  pass?: string;
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
  readonly #presence: Presence;
  readonly #native: NatsNativePubSub;
  readonly #subscriptions: Subscription[] = [];
  /** Native publishes waiting in the sender, by the carrier message standing for them. */
  readonly #nativeRoutes = new WeakMap<Message, string>();
  readonly #instance = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  /** Bytes of broadcasts waiting beside a full receive queue. */
  #asideBytes = 0;
  #connections = 1;
  #heartbeatSeq = 0;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
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
    this.#sender = new NatsSender(this.core, this.#gate, { publish: (to, message) => this.#publish(to, message), lookup: (to) => this.#lookup(to) }, tuning, config.connectionTimeoutMs, servers);
    this.#credits = new ReceiveCredits(config.queueCapacity);
    this.#presence = new Presence(
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
    const servers = serverList(options.servers);
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers,
        name: tuning.connectionName ?? `swarm-transport ${options.agentId}`,
        timeout: Math.max(1, resolved.connectionTimeoutMs),
        maxReconnectAttempts: resolved.retryAttempts,
        reconnectTimeWait: tuning.reconnectTimeWaitMs,
        pingInterval: Math.max(1000, tuning.heartbeatIntervalMs),
        maxPingOut: 3,
        noRandomize: tuning.noRandomize,
        ...(options.token === undefined ? {} : { token: options.token }),
        ...(options.user === undefined ? {} : { user: options.user, pass: options.pass ?? "" }),
      });
    } catch (error) {
      throw natsError(error, "ConnectionError", `cannot connect to NATS at ${servers.join(",")}`);
    }
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
    return this.#presence.peers();
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
    return this.#sender.submit(to, message, options?.signal);
  }

  broadcast(message: Message, options?: SendOptions): Promise<void> {
    if (this.#state !== "open") return this.core.fail(TransportError.closed(this.core.what));
    return this.#sender.submit(undefined, message, options?.signal);
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
    clearInterval(this.#heartbeatTimer);
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
    this.#presence.clear();
    this.core.close();
    this.#state = "closed";
    if (!nc.isClosed()) {
      this.#presenceSend(Message.goodbye(this.localAddress, "closed"));
      this.#batch.flush();
      this.#connectionClosed = nc.close().catch(() => undefined);
    }
  }

  /** Resolves once the NATS connection has closed (after `close()`). */
  get connectionClosed(): Promise<void> {
    return this.#connectionClosed;
  }

  async #start(): Promise<void> {
    const nc = this.connection;
    // Another live agent with this id answers a Lookup on its subject; "no responders" means the id is free.
    const taken = await nc.request(this.subjects.agent(this.localAddress), this.#frame(this.#lookupMessage(this.localAddress)), { timeout: Math.max(1, this.config.connectionTimeoutMs) }).then(
      () => true,
      (error: unknown) => {
        if (isNoResponders(error)) return false;
        throw natsError(error, "ConnectionError", `cannot check whether agent id "${this.localAddress}" is free`);
      },
    );
    if (taken) throw new TransportError("AddressInUse", `agent id "${this.localAddress}" is already in use on NATS`, { address: this.localAddress });
    this.#subscriptions.push(
      nc.subscribe(this.subjects.agent(this.localAddress), { callback: (error, msg) => this.#onInbox(error, msg) }),
      nc.subscribe(this.subjects.all, { callback: (error, msg) => this.#onBroadcast(error, msg) }),
      nc.subscribe(this.subjects.presence, { callback: (error, msg) => this.#onPresence(error, msg) }),
    );
    this.#presenceSend(this.#hello());
    this.#batch.flush();
    await nc.flush();
    const interval = this.tuning.heartbeatIntervalMs;
    if (interval > 0) {
      this.#heartbeatTimer = setInterval(() => {
        this.#presenceSend(this.#heartbeat());
        this.#presence.sweep();
      }, interval);
    }
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
          this.#connections++;
          this.core.stats.reconnections++;
          this.#presence.refresh();
          this.#credits.reset();
          // what was in flight may be lost, and its credit with it: every window starts full again
          for (const peer of this.#presence.peers()) this.#sender.windows.found(peer, this.#presence.window(peer) ?? 0);
          this.#presenceSend(this.#hello());
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
    clearInterval(this.#heartbeatTimer);
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
          if (msg.reply) this.#out(msg.reply, this.#frame(Message.control(this.localAddress, { operation: { $case: "lookupResult", value: { address: this.localAddress, found: true, window: this.config.queueCapacity } } })));
          return;
        case "credit":
          this.#sender.windows.grant(envelope.source, operation.value.count);
          return this.#sender.flush();
        default:
          return;
      }
    }
    if (payload?.$case === "heartbeat") return this.#heard(envelope);
    if (payload === undefined) return;
    // metered by credit: what does not fit the queue waits beside it, at most a window per sender
    this.core.deliver(envelope.source, new Message(envelope), msg.data.length);
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
    if (envelope === undefined || envelope.source === this.localAddress) return;
    const payload = envelope.payload;
    if (payload?.$case === "heartbeat") return this.#heard(envelope);
    if (payload?.$case !== "control") return;
    const operation = payload.value.operation;
    if (operation?.$case === "hello") {
      this.#heard(envelope);
      // answer the newcomer directly, so it knows this agent without waiting for a heartbeat
      this.#rawPublish(this.subjects.agent(envelope.source), this.#heartbeat());
    } else if (operation?.$case === "goodbye") {
      this.#presence.left(envelope.source, operation.value.reason || "closed");
    }
  }

  #heard(envelope: Envelope): void {
    this.#presence.heard(envelope.source, envelope.headers[EPOCH_HEADER] ?? "", Number(envelope.headers[WINDOW_HEADER] ?? 0));
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

  /** The sender's write: one frame to an agent's subject (with `destination` set) or to everyone. */
  #publish(to: string | undefined, message: Message): void {
    const native = to === undefined ? this.#nativeRoutes.get(message) : undefined;
    if (native !== undefined) {
      this.#nativeRoutes.delete(message);
      return this.#rawPublish(native, message);
    }
    const envelope = message.envelope;
    const previous = envelope.destination;
    envelope.destination = to;
    try {
      this.#rawPublish(to === undefined ? this.subjects.all : this.subjects.agent(to), message);
    } finally {
      envelope.destination = previous;
    }
  }

  /** A native event through the sender's queue and bounds (a carrier message stands for it there). */
  #publishNative(subject: string, message: Message, options: SendOptions | undefined): Promise<void> {
    if (this.#state !== "open") return this.core.fail(TransportError.closed(this.core.what));
    const carrier = new Message(message.envelope);
    this.#nativeRoutes.set(carrier, subject);
    return this.#sender.submit(undefined, carrier, options?.signal);
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

  #lookup(to: string): void {
    this.connection.request(this.subjects.agent(to), this.#frame(this.#lookupMessage(to)), { timeout: Math.max(1, this.config.connectionTimeoutMs) }).then(
      (reply) => {
        let window = 0;
        try {
          const operation = decodeFrame(reply.data, this.#codec).payload;
          if (operation?.$case === "control" && operation.value.operation?.$case === "lookupResult") window = operation.value.operation.value.window;
        } catch {
          // an answer we cannot read still proves someone listens there
        }
        this.#presence.heard(to, "", window);
        this.#sender.onLookupResult(to, true, window);
      },
      (error: unknown) => {
        if (isNoResponders(error)) this.#sender.onLookupResult(to, false, 0);
        else this.#sender.lookupFailed(to, natsError(error, "Timeout", `lookup of agent "${to}" failed`));
      },
    );
  }

  #lookupMessage(address: string): Message {
    return Message.control(this.localAddress, { operation: { $case: "lookup", value: { address } } });
  }

  #presenceSend(message: Message): void {
    try {
      this.#rawPublish(this.subjects.presence, message);
    } catch {
      this.core.stats.errors++;
    }
  }

  #stamp(message: Message): Message {
    return message.withHeader(EPOCH_HEADER, `${this.#instance}.${this.#connections}`).withHeader(WINDOW_HEADER, String(this.config.queueCapacity));
  }

  #hello(): Message {
    return this.#stamp(Message.hello(this.localAddress, { metadata: {} }));
  }

  #heartbeat(): Message {
    return this.#stamp(Message.heartbeat(this.localAddress, ++this.#heartbeatSeq));
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

/** `servers` as a list of URLs. */
export function serverList(servers: string | string[]): string[] {
  const list = (Array.isArray(servers) ? servers : [servers]).flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) throw new TransportError("InvalidAddress", "no NATS server URL given", { address: String(servers) });
  return list;
}

function transportPart(config: Partial<TransportConfig>): Partial<TransportConfig> {
  const { maxMessageSize, connectionTimeoutMs, retryAttempts, enableCompression, compressionThreshold, queueCapacity, queueCapacityBytes } = config;
  return { maxMessageSize, connectionTimeoutMs, retryAttempts, enableCompression, compressionThreshold, queueCapacity, queueCapacityBytes };
}
