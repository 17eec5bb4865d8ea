import { isEndToEndControl } from "../../protocol/control.js";
import type { Envelope } from "../../../generated/swarm/transport/v1/envelope.js";
import { Message } from "../../protocol/message.js";
import { DEFAULT_TRANSPORT_CONFIG, resolveConfig, type TransportConfig } from "../../transport/config.js";
import { TransportError } from "../../transport/errors.js";
import type { ReceivedMessage, SendOptions, ServiceAnnouncement, TransportState } from "../../transport/transport.js";
import { sleep } from "../../transport/sleep.js";
import { backoffDelayMs } from "./backoff.js";
import { closeError, dial, negotiatedCompression, type Dialled } from "./dial.js";
import { CoreTransport } from "../../transport/core-transport.js";
import { EndpointCore } from "../../transport/endpoint-core.js";
import { localCapabilities } from "./handshake.js";
import { closeAndWait, HEARTBEAT_TIMEOUT_CODE, type Link } from "./link.js";
import { isValidId, MAX_ID_BYTES } from "../../protocol/limits.js";
import { BATCH_CAPABILITY, MAX_MESSAGE_SIZE_KEY, MULTICAST_CAPABILITY, RECEIVE_WINDOW_KEY, resolveTuning, transportPart, type WebSocketTuning } from "./options.js";
import { RESUME_CAPABILITY, RESUME_RECEIVED_KEY, RESUMED_KEY, Session, SESSION_KEY } from "./session.js";
import { CloseCode, eventBytes, globalSocketFactory, ReadyState, type SocketFactory } from "./socket.js";
import { ClientSender } from "./client-sender.js";
import { ReceiveCredits } from "./credits.js";

/** Where and as whom a client connects. */
export interface WebSocketClientOptions {
  /** The hub's URL, `ws://host:port` or `wss://…`. */
  url: string;
  /**
   * More hubs of the same swarm (hubs on a NATS backplane) to fail over to: when the link drops,
   * reconnect attempts go to `url` first, then to these in turn.
   */
  fallbackUrls?: readonly string[];
  /** This agent's id: its address on the hub. */
  agentId: string;
  /** Opens the socket. Default: the global `WebSocket` (browsers, Node 22+). Node: use `WebSocketTransport.client`. */
  createSocket?: SocketFactory;
  /** Sent in Hello; the hub's authentication hook sees it. */
  metadata?: Record<string, string>;
  /** Shorthand for `metadata.authorization = "Bearer <token>"`. */
  token?: string;
}

/** A change of a client's link to its hub (see `WebSocketClientTransport.onLinkChange`). */
export interface LinkChangeEvent {
  /**
   * "lost": the link dropped and reconnecting began; "retrying": an attempt failed and another
   * follows; "regained": a reconnect succeeded; "gave-up": every attempt failed and the
   * transport closes.
   */
  readonly state: "lost" | "retrying" | "regained" | "gave-up";
  /** Why the link dropped or the last attempt failed; empty for "regained". */
  readonly reason: string;
  /** The error behind `reason` ("lost", "retrying", "gave-up"). */
  readonly error?: TransportError;
  /** Reconnection attempts made since the link was lost. */
  readonly attempts: number;
  /** "regained": whether the hub resumed the session (nothing lost, nothing twice) rather than starting a new one. */
  readonly resumed?: boolean;
}

/** `TransportConfig` plus the WebSocket settings. */
export type WebSocketConfig = Partial<TransportConfig> & Partial<WebSocketTuning>;

/**
 * An agent connected to a hub (`WebSocketHub`). `send(to)` goes through the hub to the agent
 * with id `to`; `broadcast` to every other agent and the hub. The first send to an address this
 * client has not seen is preceded by a Lookup, so an unknown address rejects with
 * `InvalidAddress` (later sends to it go straight out). When the link drops it reconnects with
 * exponential backoff and full jitter (`retryAttempts`), buffering sends meanwhile (or failing
 * them, `bufferWhileDisconnected: false`); when it gives up, the transport closes and the
 * buffered sends reject with `ConnectionError`. Imports nothing Node-only.
 */
export class WebSocketClientTransport extends CoreTransport {
  readonly localAddress: string;
  readonly config: Readonly<TransportConfig>;
  readonly tuning: Readonly<WebSocketTuning>;
  /** The URL of the hub this client is (or was last) connected to. */
  get hubUrl(): string {
    return this.#urls[this.#urlIndex % this.#urls.length]!;
  }

  /** The hub's id, from its HelloAck. */
  hubId = "";
  /** The hub's HelloAck metadata. */
  hubMetadata: Record<string, string> = {};
  /** The hub agreed to "multicast" on the current (or last) link: see `Transport.multicast`. */
  multicast = false;
  readonly #options: Required<Omit<WebSocketClientOptions, "token" | "fallbackUrls">>;
  /** `url` and the fallbacks; `#urlIndex` is the one dialled next. */
  readonly #urls: readonly string[];
  #urlIndex = 0;
  protected readonly core: EndpointCore;
  readonly #sender: ClientSender;
  readonly #credits: ReceiveCredits;
  readonly #stop = new AbortController();
  #session: Session | undefined;
  #link: Link | undefined;
  #state: TransportState = "open";
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  /** What this agent serves, told to the hub after every HelloAck (see `announceServices`). */
  #services: ServiceAnnouncement | undefined;
  readonly #linkListeners = new Set<(event: LinkChangeEvent) => void>();
  /** Stop / restart reading the current socket (ws only) while the receive queue is full. */
  readonly #pauseLink = (): void => this.#link?.socket.pause?.();
  readonly #resumeLink = (): void => this.#link?.socket.resume?.();

  private constructor(options: WebSocketClientOptions, config: WebSocketConfig) {
    super();
    this.localAddress = options.agentId;
    this.config = resolveConfig(transportPart(config));
    this.tuning = resolveTuning(config, this.config.queueCapacity);
    const metadata = { ...options.metadata };
    if (options.token !== undefined) metadata["authorization"] = `Bearer ${options.token}`;
    metadata[RECEIVE_WINDOW_KEY] = String(config.queueCapacity ?? DEFAULT_TRANSPORT_CONFIG.queueCapacity);
    metadata[MAX_MESSAGE_SIZE_KEY] = String(this.config.maxMessageSize);
    const createSocket = options.createSocket ?? globalSocketFactory();
    this.#options = { url: options.url, agentId: options.agentId, createSocket, metadata };
    this.#urls = [options.url, ...(options.fallbackUrls ?? [])];
    this.core = new EndpointCore(this.config, `WebSocket client "${options.agentId}"`, { taken: (received) => this.#onTaken(received) });
    this.#sender = new ClientSender(options.agentId, options.url, this.tuning, this.core, this.config.connectionTimeoutMs, this.config.maxMessageSize);
    this.#credits = new ReceiveCredits(this.config.queueCapacity);
  }

  /** Connects and handshakes within `connectionTimeoutMs`; rejects with the hub's reason (VersionMismatch, AddressInUse, ...). */
  static async connect(options: WebSocketClientOptions, config: WebSocketConfig = {}): Promise<WebSocketClientTransport> {
    if (typeof options.agentId !== "string" || !isValidId(options.agentId)) {
      throw new TransportError("InvalidAddress", `agentId must be a non-empty string of at most ${MAX_ID_BYTES} bytes`, { address: String(options.agentId).slice(0, 64) });
    }
    const client = new WebSocketClientTransport(options, config);
    client.#attach(await client.#dial());
    return client;
  }

  /** Sends waiting for the socket, the receiver's credit, or a reconnection. */
  get pendingSends(): number {
    return this.#sender.pending;
  }

  get state(): TransportState {
    return this.#state;
  }

  isConnected(): boolean {
    return this.#state === "open" && this.#link !== undefined && this.#link.isOpen;
  }

  send(to: string, message: Message, options?: SendOptions): Promise<void> {
    if (this.#state !== "open") return this.core.fail(TransportError.closed(this.core.what));
    if (message.source !== this.localAddress) {
      return this.core.fail(new TransportError("InvalidAddress", `message source "${message.source}" is not this agent ("${this.localAddress}")`, { address: message.source }));
    }
    if (!isValidId(to)) return this.core.fail(new TransportError("InvalidAddress", `address must be a non-empty string of at most ${MAX_ID_BYTES} bytes`, { address: to.slice(0, 64) }));
    const invalid = checkLimits(message);
    if (invalid !== undefined) return this.core.fail(invalid);
    return this.#sender.submit(to, message, options);
  }

  broadcast(message: Message, options?: SendOptions): Promise<void> {
    if (this.#state !== "open") return this.core.fail(TransportError.closed(this.core.what));
    const invalid = checkLimits(message);
    if (invalid !== undefined) return this.core.fail(invalid);
    return this.#sender.submit(undefined, message, options);
  }

  /**
   * Tells `listener` when the link to the hub is lost, regained by a reconnect, or given up on
   * (`retryAttempts` failed; the transport then closes). `onPeerGone` reports the loss too; this
   * also reports the recovery. Returns a function that removes the listener.
   */
  onLinkChange(listener: (event: LinkChangeEvent) => void): () => void {
    this.#linkListeners.add(listener);
    return () => this.#linkListeners.delete(listener);
  }

  #linkChanged(event: LinkChangeEvent): void {
    for (const listener of [...this.#linkListeners]) {
      try {
        listener(event);
      } catch {
        this.core.stats.errors++;
      }
    }
  }

  /** Asks the hub to compress frames towards this client (or not) from now on. */
  setCompression(enabled: boolean, thresholdBytes = this.config.compressionThreshold): void {
    this.#link?.writeControl(Message.control(this.localAddress, { operation: { $case: "setCompression", value: { enabled, thresholdBytes } } }));
  }

  /** Tells the hub which services this agent serves (now, and again after every reconnect). */
  announceServices(services: ServiceAnnouncement): void {
    this.#services = services;
    this.#writeServices();
  }

  #writeServices(): void {
    if (this.#services === undefined || this.#link?.isOpen !== true) return;
    this.#link.writeControl(Message.control(this.localAddress, { operation: { $case: "services", value: this.#services } }));
  }

  /** Sends Goodbye after the queued sends, closes the socket, stops reconnecting and releases everything. */
  async close(): Promise<void> {
    if (this.#state !== "open") return;
    this.#state = "closing";
    this.#linkListeners.clear();
    this.#stop.abort(TransportError.closed(this.core.what));
    if (this.#link?.isOpen) this.#sender.flush();
    const link = this.#link;
    this.#link = undefined;
    this.#sender.link = undefined;
    if (link !== undefined) await closeAndWait(link, "client closed");
    this.#shutdown(TransportError.closed(this.core.what));
    this.#state = "closed";
  }

  #dial(): Promise<Dialled> {
    const compression = this.config.enableCompression && this.tuning.compression !== undefined;
    const capabilities = localCapabilities(compression);
    if (this.tuning.resumeSessions) capabilities.push(RESUME_CAPABILITY);
    if (this.tuning.multicast) capabilities.push(MULTICAST_CAPABILITY);
    const metadata = { ...this.#options.metadata };
    if (this.#session !== undefined) {
      metadata[SESSION_KEY] = this.#session.id;
      metadata[RESUME_RECEIVED_KEY] = String(this.#session.received);
    }
    return dial({
      ...this.#options,
      url: this.#urls[this.#urlIndex % this.#urls.length]!,
      metadata,
      capabilities,
      maxMessageSize: this.config.maxMessageSize,
      compressionThreshold: this.config.compressionThreshold,
      timeoutMs: this.config.connectionTimeoutMs,
      stats: this.core.stats,
    });
  }

  /**
   * A new link's session: the old one resumed (resend what the hub has not seen), or a new one
   * (and if there was an old one, say it is lost: what it had not seen acknowledged may be gone).
   */
  #startSession(link: Link, metadata: Record<string, string>): boolean {
    const old = this.#session;
    if (old !== undefined && metadata[RESUMED_KEY] === "true" && metadata[SESSION_KEY] === old.id) {
      try {
        const resend = old.resendAfter(Number(metadata[RESUME_RECEIVED_KEY]));
        link.session = old;
        old.resetAckState();
        for (const body of resend) link.resend(body);
        return true;
      } catch {
        // the counts do not line up: treat the session as lost
      }
    }
    if (old !== undefined) {
      this.core.stats.messagesDropped += old.unacked;
      this.core.stats.errors++;
      this.core.peerGone(undefined, `session ${old.id} lost: the hub no longer has it; ${old.unacked} unacknowledged message(s) may not have arrived`);
    }
    const id = metadata[SESSION_KEY];
    this.#session = id !== undefined ? new Session(id, this.tuning.sessionBufferBytes) : undefined;
    link.session = this.#session;
    return false;
  }

  /** Starts using a new link; returns whether it resumed the session of the one before. */
  #attach({ link, negotiated, handoff }: Dialled): boolean {
    this.#link = link;
    this.hubId = negotiated.hubId;
    this.hubMetadata = negotiated.metadata;
    this.multicast = negotiated.capabilities.includes(MULTICAST_CAPABILITY);
    link.negotiated(this.tuning.compression, this.config.enableCompression && negotiatedCompression(negotiated), negotiated.capabilities.includes(BATCH_CAPABILITY));
    const resumed = this.#startSession(link, negotiated.metadata);
    if (!resumed) {
      this.#sender.windows.reset(negotiated.hubId);
      this.#credits.reset();
    }
    const socket = link.socket;
    const onMessage = (event: { data: unknown }) => this.#onFrame(link, event);
    const onClose = (event: { code: number; reason: string }) => {
      socket.removeEventListener("message", onMessage);
      socket.removeEventListener("close", onClose);
      this.#onLinkClosed(link, closeError(this.#options.url, event.code, event.reason));
    };
    socket.addEventListener("close", onClose);
    const interval = this.tuning.heartbeatIntervalMs;
    if (interval > 0) {
      this.#heartbeatTimer = setInterval(() => {
        if (!link.tick(Date.now(), interval, this.tuning.heartbeatTimeoutMs)) {
          // Goodbye{code "Timeout"} and close 1008, as the hub does; the session lives on (reconnect resumes it)
          clearInterval(this.#heartbeatTimer);
          void closeAndWait(link, "heartbeat timeout", CloseCode.POLICY, HEARTBEAT_TIMEOUT_CODE);
        }
      }, Math.max(1, Math.min(interval, this.tuning.heartbeatTimeoutMs / 2)));
    }
    handoff(onMessage);
    if (socket.readyState === ReadyState.CLOSED) {
      onClose({ code: 1006, reason: "closed during the handshake" });
      return resumed;
    }
    if (this.tuning.presence === "all") {
      link.writeControl(Message.control(this.localAddress, { operation: { $case: "watch", value: { address: "", all: true, stop: false } } }));
    }
    this.#sender.link = link;
    this.#writeServices();
    this.#sender.flush();
    return resumed;
  }

  #onFrame(link: Link, event: { data: unknown }): void {
    const bytes = eventBytes(event);
    try {
      if (bytes === undefined) throw new TransportError("SerializationError", "hub sent a text message");
      for (const body of link.bodies(bytes)) this.#onEnvelope(link, link.decodeBody(body), body.length);
    } catch (error) {
      this.core.stats.errors++;
      link.close(CloseCode.SERIALIZATION, `bad frame from hub: ${(error as Error).message}`, "SerializationError");
    }
  }

  #onEnvelope(link: Link, envelope: Envelope, bytes: number): void {
    const payload = envelope.payload;
    if (payload?.$case === "control" && !isEndToEndControl(envelope)) return this.#onControl(link, envelope);
    if (payload?.$case === "heartbeat" || payload === undefined) return;
    this.core.deliver(envelope.source, new Message(envelope), bytes, this.#pauseLink, this.#resumeLink);
  }

  #onControl(link: Link, envelope: Envelope): void {
    const operation = envelope.payload?.$case === "control" ? envelope.payload.value.operation : undefined;
    switch (operation?.$case) {
      case "peerGone":
        this.#sender.windows.forget(operation.value.address);
        this.core.peerGone(operation.value.address, operation.value.reason);
        return this.#sender.flush();
      case "lookupResult":
        return this.#sender.onLookupResult(operation.value.address, operation.value.found, operation.value.window);
      case "credit":
        this.#sender.windows.grant(operation.value.address, operation.value.count);
        return this.#sender.flush();
      case "ack":
        if (this.#sender.pending > 0) this.#sender.flush(); // the session buffer may have room again
        return;
      case "undeliverable":
        this.core.stats.messagesDropped++;
        this.core.stats.errors++;
        return;
      case "setCompression":
        link.setCompression(operation.value.enabled, operation.value.thresholdBytes);
        return;
      case "flowControl":
        this.#sender.peerPaused = operation.value.pause;
        if (!operation.value.pause) this.#sender.flush();
        return;
      default:
      // Goodbye: the close that follows does the work; other arms are not for clients
    }
  }

  #onLinkClosed(link: Link, error: TransportError): void {
    link.dispose();
    if (this.#link !== link) return;
    this.#link = undefined;
    this.#sender.link = undefined;
    clearInterval(this.#heartbeatTimer);
    if (this.#state !== "open") return;
    // "lost" first: what the loss fails next (calls in flight) can still tell it happened
    this.#linkChanged({ state: "lost", reason: error.message, error, attempts: 0 });
    this.core.peerGone(undefined, `connection lost: ${error.message}`);
    this.#sender.disconnected(error);
    void this.#reconnect(error);
  }

  async #reconnect(lastError: TransportError): Promise<void> {
    let attempt = 0;
    for (; attempt < this.config.retryAttempts; attempt++) {
      try {
        await sleep(backoffDelayMs(attempt, this.tuning.reconnectBaseDelayMs, this.tuning.reconnectMaxDelayMs), this.#stop.signal);
        const dialled = await this.#dial();
        if (this.#state !== "open") {
          await closeAndWait(dialled.link, "client closed");
          return;
        }
        this.core.stats.reconnections++;
        const resumed = this.#attach(dialled);
        this.#linkChanged({ state: "regained", reason: "", attempts: attempt + 1, resumed });
        return;
      } catch (error) {
        if (this.#state !== "open") return;
        this.#urlIndex++; // the next attempt tries the next hub
        lastError = TransportError.is(error) ? error : lastError;
        if (lastError.code === "VersionMismatch" || lastError.code === "Unauthenticated") {
          attempt++;
          break;
        }
        if (attempt + 1 < this.config.retryAttempts) this.#linkChanged({ state: "retrying", reason: lastError.message, error: lastError, attempts: attempt + 1 });
      }
    }
    const gaveUp = new TransportError("ConnectionError", `gave up reconnecting to ${this.#urls.join(", ")} after ${attempt} attempts: ${lastError.message}`, {}, { cause: lastError });
    this.#linkChanged({ state: "gave-up", reason: lastError.message, error: lastError, attempts: attempt });
    this.#linkListeners.clear();
    this.#state = "closing";
    this.#shutdown(gaveUp);
    this.#state = "closed";
  }

  /** The application took a message: grant its sender credit (unicast from agents only). */
  readonly #onTaken = (received: ReceivedMessage): void => {
    const { from, message } = received;
    if (message.destination !== this.localAddress || from === this.hubId) return;
    const count = this.#credits.taken(from);
    if (count > 0 && this.#link?.isOpen) {
      this.#link.writeControl(Message.control(this.localAddress, { operation: { $case: "credit", value: { address: from, count } } }));
    }
  };

  #shutdown(error: TransportError): void {
    clearInterval(this.#heartbeatTimer);
    this.#sender.shutdown(error);
    this.core.close();
  }
}

/**
 * The wire limits (ids, headers, JSON nesting), checked before a send is queued or starts a
 * Lookup, so a message no receiver would accept fails at once and nothing goes out. The check
 * is cached with the message's size bound.
 */
function checkLimits(message: Message): TransportError | undefined {
  try {
    message.sizeUpperBound();
    return undefined;
  } catch (error) {
    return TransportError.from(error);
  }
}

