import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import type { Envelope } from "../../../generated/swarm/transport/v1/envelope.js";
import { Message } from "../../protocol/message.js";
import { resolveConfig, type TransportConfig } from "../../transport/config.js";
import { TransportError } from "../../transport/errors.js";
import type { TransportStats } from "../../transport/stats.js";
import type { PeerGoneEvent, ReceivedMessage, ReceiveOptions, SendOptions, Transport, TransportState } from "../../transport/transport.js";
import { AgentConnection, type AgentInfo } from "./agent-connection.js";
import { closeAndWait, type WebSocketConfig } from "./client.js";
import { EndpointCore } from "./endpoint.js";
import { acceptHello, helloAck, localCapabilities } from "./handshake.js";
import { HubRouter } from "./hub-router.js";
import { HubCounters, type HubStats } from "./hub-stats.js";
import { Link } from "./link.js";
import { dial } from "./dial.js";
import { BATCH_CAPABILITY, COMPRESSION_CAPABILITY, HUB_ROLE, MAX_MESSAGE_SIZE_KEY, RECEIVE_WINDOW_KEY, resolveTuning, ROLE_KEY, type WebSocketTuning } from "./options.js";
import { newSessionId, RESUME_CAPABILITY, RESUME_RECEIVED_KEY, RESUMED_KEY, Session, SESSION_KEY } from "./session.js";
import { CloseCode, type WebSocketLike } from "./socket.js";

/** What an authentication hook sees: the agent's Hello, before it is registered or routed to. */
export interface HubAuthRequest {
  agentId: string;
  metadata: Readonly<Record<string, string>>;
  /** The bearer token from `metadata.authorization` ("Bearer <token>"), if any. */
  token: string | undefined;
  /** The HTTP upgrade request (headers, remote address). */
  request: IncomingMessage;
}

/** Where and how a hub listens. */
export interface WebSocketHubOptions {
  /** "host:port"; port 0 picks a free one (read it from `hub.port`). */
  bindAddr: string;
  /** The hub's own address as an endpoint. Default "hub". */
  hubId?: string;
  /** Sent to every agent in HelloAck. */
  metadata?: Record<string, string>;
  /** Serve wss:// with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Accepts (true) or refuses (false, or throws) an agent before it is registered. */
  authenticate?: (request: HubAuthRequest) => boolean | Promise<boolean>;
}

/**
 * A WebSocket hub (Node): agents connect, say Hello with their agent id, and the hub routes
 * `send(to)` to the agent with that id and broadcasts to every other agent. The hub is also a
 * Transport endpoint with address `hubId`. Frames are forwarded as received (no re-encoding)
 * unless the receiver did not negotiate compression. Bad input closes only the connection it
 * came on (close code and Goodbye name the reason); a slow consumer past
 * `maxConsumerBufferBytes` is disconnected; silent agents past `heartbeatTimeoutMs` are dropped.
 */
export class WebSocketHub implements Transport {
  readonly localAddress: string;
  readonly config: Readonly<TransportConfig>;
  readonly tuning: Readonly<WebSocketTuning>;
  readonly #options: WebSocketHubOptions;
  readonly #core: EndpointCore;
  readonly #counters = new HubCounters();
  readonly #router: HubRouter;
  readonly #agents: Map<string, AgentConnection>;
  readonly #connections = new Set<AgentConnection>();
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  #state: TransportState = "open";
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #port = 0;

  private constructor(options: WebSocketHubOptions, config: WebSocketConfig) {
    this.localAddress = options.hubId ?? "hub";
    this.#options = options;
    this.config = resolveConfig(pickConfig(config));
    this.tuning = resolveTuning(config, this.config.queueCapacity);
    this.#core = new EndpointCore(this.config, `WebSocket hub "${this.localAddress}"`);
    this.#router = new HubRouter({
      localAddress: this.localAddress,
      core: this.#core,
      counters: this.#counters,
      checkConsumer: (target) => this.#checkConsumer(target),
    });
    this.#agents = this.#router.agents;
    this.#server = options.tls !== undefined ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }) : createHttpServer();
    this.#wss = new WebSocketServer({ server: this.#server, maxPayload: this.config.maxMessageSize + 1, perMessageDeflate: false });
    this.#wss.on("connection", (socket, request) => this.#accept(socket, request));
    this.#wss.on("error", () => this.#core.stats.errors++);
  }

  /** Starts a hub listening on `bindAddr`. Rejects with `AddressInUse` or `InvalidAddress`. */
  static async listen(options: WebSocketHubOptions, config: WebSocketConfig = {}): Promise<WebSocketHub> {
    const match = /^(.*):(\d+)$/.exec(options.bindAddr);
    if (match === null) throw new TransportError("InvalidAddress", `bindAddr must be "host:port", got "${options.bindAddr}"`, { address: options.bindAddr });
    const hub = new WebSocketHub(options, config);
    await new Promise<void>((resolve, reject) => {
      hub.#server.once("error", (error: NodeJS.ErrnoException) => {
        const code = error.code === "EADDRINUSE" ? "AddressInUse" : "InvalidAddress";
        reject(new TransportError(code, `cannot listen on ${options.bindAddr}: ${error.message}`, { address: options.bindAddr }, { cause: error }));
      });
      hub.#server.listen(Number(match[2]), match[1]!.replace(/^\[|\]$/g, ""), () => resolve());
    });
    hub.#port = (hub.#server.address() as AddressInfo).port;
    const interval = hub.tuning.heartbeatIntervalMs;
    if (interval > 0) hub.#heartbeatTimer = setInterval(() => hub.#sweep(), Math.max(1, Math.min(interval, hub.tuning.heartbeatTimeoutMs / 2)));
    return hub;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.#port;
  }

  /** `ws://host:port` (or `wss://`) for clients. */
  get url(): string {
    const host = (this.#server.address() as AddressInfo | null)?.address ?? "127.0.0.1";
    const shown = host.includes(":") ? `[${host}]` : host;
    return `${this.#options.tls !== undefined ? "wss" : "ws"}://${shown}:${this.#port}`;
  }

  get state(): TransportState {
    return this.#state;
  }

  isConnected(): boolean {
    return this.#state === "open";
  }

  /** Ids of the registered agents. */
  agents(): string[] {
    return [...this.#agents.keys()];
  }

  /** Ids of agents on linked hubs that this hub can route to. */
  remoteAgents(): string[] {
    return [...this.#router.remote.keys()];
  }

  /** Ids of the hubs linked to this one (either side may have opened the link). */
  linkedHubs(): string[] {
    return [...this.#router.hubs.keys()];
  }

  /**
   * Links this hub to another hub at `url`: each routes to the other's agents (hop by hop,
   * decrementing ttl) and they share broadcasts. Links must form a tree. A dropped link is not
   * re-opened: call `link` again.
   */
  async link(url: string, options: { token?: string; tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean } } = {}): Promise<void> {
    const metadata: Record<string, string> = { [ROLE_KEY]: HUB_ROLE };
    if (options.token !== undefined) metadata["authorization"] = `Bearer ${options.token}`;
    const maxPayload = this.config.maxMessageSize + 1;
    const { link, negotiated, handoff } = await dial({
      url,
      agentId: this.localAddress,
      createSocket: (target) => new WebSocket(target, { maxPayload, perMessageDeflate: false, ...options.tls }) as unknown as WebSocketLike,
      capabilities: localCapabilities(this.config.enableCompression && this.tuning.compression !== undefined),
      metadata,
      maxMessageSize: this.config.maxMessageSize,
      compressionThreshold: this.config.compressionThreshold,
      timeoutMs: this.config.connectionTimeoutMs,
      stats: this.#core.stats,
    });
    const socket = link.socket as unknown as WebSocket;
    const connection = new AgentConnection(socket, link, url);
    if (this.#state !== "open" || this.#router.isTaken(negotiated.hubId)) {
      await closeAndWait(link, `hub id "${negotiated.hubId}" is already linked or taken`);
      throw new TransportError("AddressInUse", `hub "${negotiated.hubId}" at ${url} is already linked, or its id is taken here`, { address: negotiated.hubId });
    }
    const agreed = negotiated.capabilities;
    link.negotiated(this.tuning.compression, agreed.includes(COMPRESSION_CAPABILITY), agreed.includes(BATCH_CAPABILITY));
    connection.agentId = negotiated.hubId;
    connection.metadata = negotiated.metadata;
    connection.isHub = true;
    connection.state = "open";
    this.#connections.add(connection);
    socket.on("close", () => this.#onClosed(connection, "closed"));
    handoff((event: { data: unknown }) => this.#onFrame(connection, event.data as Buffer, true, undefined));
    this.#router.add(connection);
  }

  /**
   * Cuts an agent's connection abruptly (no Goodbye), as a network failure would. An agent with
   * a session stays routable for `sessionGraceMs` and resumes it when it reconnects.
   */
  dropConnection(agentId: string): void {
    const connection = this.#agents.get(agentId);
    if (connection?.state === "open") connection.socket.terminate();
  }

  /** Per-agent statistics. */
  agentInfo(agentId: string): AgentInfo | undefined {
    return this.#agents.get(agentId)?.info();
  }

  /** Hub-wide counters: connected agents, routed, dropped by ttl, undeliverable, ... */
  hubStats(): HubStats {
    return this.#counters.snapshot(this.#agents.size);
  }

  send(to: string, message: Message, _options?: SendOptions): Promise<void> {
    if (this.#state !== "open") return this.#core.fail(TransportError.closed(this.#core.what));
    if (to === this.localAddress) {
      this.#core.deliver(to, message);
      this.#sent();
      return RESOLVED;
    }
    const target = this.#agents.get(to) ?? this.#router.remote.get(to)?.via;
    if (target === undefined) return this.#core.fail(new TransportError("InvalidAddress", `no agent "${to}" on hub "${this.localAddress}"`, { address: to }));
    try {
      this.#writeMessage(target, to, message);
    } catch (error) {
      return this.#core.fail(error as TransportError);
    }
    this.#sent();
    return RESOLVED;
  }

  broadcast(message: Message, _options?: SendOptions): Promise<void> {
    if (this.#state !== "open") return this.#core.fail(TransportError.closed(this.#core.what));
    try {
      for (const target of [...this.#agents.values(), ...this.#router.hubs.values()]) this.#writeMessage(target, undefined, message);
    } catch (error) {
      return this.#core.fail(error as TransportError);
    }
    this.#sent();
    return RESOLVED;
  }

  receive(options?: ReceiveOptions): Promise<ReceivedMessage> {
    return this.#core.receive(options);
  }

  tryReceive(): ReceivedMessage | undefined {
    return this.#core.tryReceive();
  }

  onPeerGone(listener: (event: PeerGoneEvent) => void): () => void {
    return this.#core.onPeerGone(listener);
  }

  stats(): TransportStats {
    return this.#core.snapshot();
  }

  /** Says Goodbye to every agent, closes their sockets and the listening socket, releases everything. */
  async close(): Promise<void> {
    if (this.#state !== "open") return;
    this.#state = "closing";
    clearInterval(this.#heartbeatTimer);
    for (const connection of this.#agents.values()) clearTimeout(connection.graceTimer);
    const closing = [...this.#connections].map((connection) => {
      clearTimeout(connection.helloTimer);
      return closeAndWait(connection.link, "hub closing");
    });
    await Promise.all(closing);
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#core.close();
    this.#state = "closed";
  }

  [Symbol.asyncIterator](): AsyncIterator<ReceivedMessage> {
    return this.#core.iterate(() => this.receive());
  }

  #accept(socket: WebSocket, request: IncomingMessage): void {
    if (this.#state !== "open") return socket.terminate();
    const link = new Link(socket, this.localAddress, this.config.maxMessageSize, this.config.compressionThreshold, this.#core.stats);
    const connection = new AgentConnection(socket, link, request.socket.remoteAddress ?? "");
    this.#connections.add(connection);
    connection.helloTimer = setTimeout(
      () => this.#drop(connection, CloseCode.HANDSHAKE, `no Hello within ${this.config.connectionTimeoutMs} ms`, "Timeout"),
      this.config.connectionTimeoutMs,
    );
    socket.on("message", (data: Buffer, isBinary: boolean) => this.#onFrame(connection, data, isBinary, request));
    socket.on("close", () => this.#onClosed(connection, "closed"));
    socket.on("error", (error: Error & { code?: string }) => {
      this.#counters.protocolErrors++;
      this.#core.stats.errors++;
      // ws closes the socket itself (1009 for a frame over maxPayload, 1002 for bad framing)
      connection.closeReason = error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH" ? `message too large (max ${this.config.maxMessageSize + 1} bytes)` : error.message;
    });
  }

  #onFrame(connection: AgentConnection, data: Buffer, isBinary: boolean, request: IncomingMessage | undefined): void {
    if (connection.state === "closed") return;
    try {
      if (!isBinary) throw new TransportError("SerializationError", "text message: frames are binary messages");
      for (const body of connection.link.bodies(plainBytes(data))) {
        if ((connection.state as AgentConnection["state"]) === "closed") return;
        const envelope = connection.link.decodeBody(body);
        connection.messagesIn++;
        if (connection.state === "open") {
          this.#route(connection, envelope, body);
        } else if (connection.state === "hello" && request !== undefined) {
          void this.#onHello(connection, envelope, request);
        } else {
          this.#counters.protocolErrors++;
          return this.#drop(connection, CloseCode.HANDSHAKE, "message before HelloAck", "SerializationError");
        }
      }
    } catch (error) {
      const e = error as TransportError;
      this.#counters.protocolErrors++;
      this.#drop(connection, e.code === "MessageTooLarge" ? CloseCode.TOO_LARGE : CloseCode.SERIALIZATION, `bad frame: ${e.message}`, e.code);
    }
  }

  async #onHello(connection: AgentConnection, envelope: Envelope, request: IncomingMessage): Promise<void> {
    clearTimeout(connection.helloTimer);
    connection.state = "authenticating";
    let accepted: ReturnType<typeof acceptHello>;
    const capabilities = localCapabilities(this.config.enableCompression && this.tuning.compression !== undefined);
    if (this.tuning.resumeSessions) capabilities.push(RESUME_CAPABILITY);
    try {
      accepted = acceptHello(envelope, capabilities);
    } catch (error) {
      const e = error as TransportError;
      this.#counters.protocolErrors++;
      const code = e.code === "VersionMismatch" ? CloseCode.VERSION_MISMATCH : CloseCode.HANDSHAKE;
      return this.#drop(connection, code, e.message, e.code);
    }
    const { agentId, negotiated } = accepted;
    const hook = this.#options.authenticate;
    if (hook !== undefined) {
      const token = /^Bearer (.+)$/i.exec(negotiated.metadata["authorization"] ?? "")?.[1];
      let ok = false;
      try {
        ok = await hook({ agentId, metadata: negotiated.metadata, token, request });
      } catch {
        ok = false;
      }
      if (connection.state !== "authenticating") return;
      if (!ok) {
        this.#counters.authRejections++;
        return this.#drop(connection, CloseCode.UNAUTHENTICATED, `agent "${agentId}" was not authenticated`, "Unauthenticated");
      }
    }
    if (this.#state !== "open") return;
    const agreed = negotiated.capabilities;
    const resumable = this.tuning.resumeSessions && agreed.includes(RESUME_CAPABILITY);
    const parked = this.#agents.get(agentId);
    let resumed: Session | undefined;
    if (parked?.state === "parked") {
      // the agent is back: it resumes its session if it names it; otherwise that session is gone
      clearTimeout(parked.graceTimer);
      parked.state = "closed";
      this.#agents.delete(agentId);
      if (resumable && parked.session?.id === negotiated.metadata[SESSION_KEY]) resumed = parked.session;
      else this.#core.stats.messagesDropped += parked.session?.unacked ?? 0;
    }
    if (this.#router.isTaken(agentId)) {
      return this.#drop(connection, CloseCode.ADDRESS_IN_USE, `agent id "${agentId}" is already connected to this hub`, "AddressInUse");
    }
    connection.isHub = negotiated.metadata[ROLE_KEY] === HUB_ROLE;
    connection.agentId = agentId;
    connection.metadata = negotiated.metadata;
    const window = Number(negotiated.metadata[RECEIVE_WINDOW_KEY]);
    connection.window = Number.isSafeInteger(window) && window > 0 ? window : 0;
    connection.state = "open";
    const metadata: Record<string, string> = { ...this.#options.metadata, [MAX_MESSAGE_SIZE_KEY]: String(this.config.maxMessageSize) };
    const session = resumed ?? (resumable ? new Session(newSessionId(), this.tuning.sessionBufferBytes) : undefined);
    if (session !== undefined) {
      metadata[SESSION_KEY] = session.id;
      metadata[RESUMED_KEY] = String(resumed !== undefined);
      metadata[RESUME_RECEIVED_KEY] = String(session.received);
    }
    // HelloAck goes out alone and plain; what was negotiated applies from the next frame on
    connection.link.writeControl(helloAck(this.localAddress, negotiated, metadata));
    connection.link.negotiated(this.tuning.compression, agreed.includes(COMPRESSION_CAPABILITY), agreed.includes(BATCH_CAPABILITY));
    connection.link.session = session;
    if (resumed !== undefined) {
      this.#counters.sessionsResumed++;
      resumed.resetAckState();
      try {
        for (const body of resumed.resendAfter(Number(negotiated.metadata[RESUME_RECEIVED_KEY] ?? 0))) connection.link.resend(body);
      } catch (error) {
        this.#router.add(connection);
        return this.#drop(connection, CloseCode.HANDSHAKE, (error as Error).message, "ConnectionError");
      }
    }
    this.#router.add(connection);
  }

  /** An open connection's envelope: control for the hub, or a message to route as received. */
  #route(from: AgentConnection, envelope: Envelope, body: Uint8Array): void {
    const payload = envelope.payload;
    if (payload === undefined || payload.$case === "heartbeat") return;
    if (payload.$case === "control") return this.#onControl(from, envelope);
    if (!from.isHub && envelope.source !== from.agentId) {
      return this.#router.undeliverable(from, envelope, "InvalidAddress", `source "${envelope.source}" is not the sending agent "${from.agentId}"`);
    }
    this.#router.route(from, envelope, body);
  }

  #onControl(from: AgentConnection, envelope: Envelope): void {
    if (this.#router.onControl(from, envelope)) return;
    const operation = envelope.payload?.$case === "control" ? envelope.payload.value.operation : undefined;
    switch (operation?.$case) {
      case "lookup": {
        const address = operation.value.address;
        const value = { address, ...this.#router.lookup(address) };
        from.link.writeControl(Message.control(this.localAddress, { operation: { $case: "lookupResult", value } }));
        return;
      }
      case "setCompression":
        return from.link.setCompression(operation.value.enabled, operation.value.thresholdBytes);
      case "goodbye":
        from.closeReason = operation.value.reason || "goodbye";
        from.endsSession = true;
        return;
      case "hello":
        this.#counters.protocolErrors++;
        return this.#drop(from, CloseCode.HANDSHAKE, "second Hello on an open connection", "SerializationError");
      default:
    }
  }

  /** A consumer whose socket buffers past the bound is disconnected instead of growing the hub's memory. */
  #checkConsumer(target: AgentConnection): void {
    if (target.session?.isFull) {
      if (target.state === "parked") return this.#expire(target, `session expired: more than ${this.tuning.sessionBufferBytes} bytes kept for it`);
      this.#counters.slowConsumersDropped++;
      this.#drop(target, CloseCode.POLICY, `slow consumer: more than ${this.tuning.sessionBufferBytes} bytes unacknowledged`, "QueueFull");
      target.socket.terminate();
      return;
    }
    if (target.state !== "open") return;
    const buffered = target.bufferedBytes;
    if (buffered > this.tuning.maxConsumerBufferBytes) {
      this.#counters.slowConsumersDropped++;
      this.#drop(target, CloseCode.POLICY, `slow consumer: ${buffered} bytes buffered, bound ${this.tuning.maxConsumerBufferBytes}`, "QueueFull");
      target.socket.terminate();
    }
  }

  #writeMessage(target: AgentConnection, to: string | undefined, message: Message): void {
    const envelope = message.envelope;
    const previous = envelope.destination;
    envelope.destination = to;
    try {
      target.link.sendEnvelope(envelope);
      target.messagesOut++;
    } finally {
      envelope.destination = previous;
    }
    this.#checkConsumer(target);
  }

  #sweep(): void {
    const now = Date.now();
    for (const connection of [...this.#agents.values(), ...this.#router.hubs.values()]) {
      if (connection.state !== "open") continue;
      if (!connection.link.tick(now, this.tuning.heartbeatIntervalMs, this.tuning.heartbeatTimeoutMs)) {
        this.#counters.heartbeatTimeouts++;
        connection.closeReason = "heartbeat timeout";
        connection.socket.terminate();
      }
    }
  }

  /** Closes one connection with Goodbye{reason, code} and a close code; the others are untouched. */
  #drop(connection: AgentConnection, closeCode: number, reason: string, code: string): void {
    clearTimeout(connection.helloTimer);
    connection.endsSession = true;
    connection.closeReason ??= reason;
    connection.link.close(closeCode, reason, code);
    this.#onClosed(connection, reason);
  }

  #onClosed(connection: AgentConnection, reason: string): void {
    clearTimeout(connection.helloTimer);
    if (connection.socket.readyState === 3) this.#connections.delete(connection);
    if (connection.state === "closed") return;
    const wasOpen = connection.state === "open";
    if (wasOpen && this.#state === "open" && connection.session !== undefined && !connection.endsSession) return this.#park(connection);
    connection.state = "closed";
    if (wasOpen && this.#state === "open") this.#router.remove(connection, connection.closeReason ?? reason);
  }

  /** The agent's link dropped but it has a session: it stays routable, its messages kept, for the grace period. */
  #park(connection: AgentConnection): void {
    connection.state = "parked";
    const grace = this.tuning.sessionGraceMs;
    connection.graceTimer = setTimeout(() => this.#expire(connection, `session expired: no reconnect within ${grace} ms`), grace);
  }

  #expire(connection: AgentConnection, reason: string): void {
    if (connection.state !== "parked") return;
    clearTimeout(connection.graceTimer);
    connection.state = "closed";
    this.#counters.sessionsExpired++;
    this.#core.stats.messagesDropped += connection.session?.unacked ?? 0;
    this.#router.remove(connection, reason);
  }

  #sent(): void {
    this.#core.stats.messagesSent++;
    this.#core.stats.lastActivityMs = Date.now();
  }
}

const RESOLVED = Promise.resolve();

/** A plain Uint8Array view of a Buffer: decoded `bytes` fields are then Uint8Arrays, not Buffers. */
function plainBytes(data: Buffer): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function pickConfig(config: WebSocketConfig): Partial<TransportConfig> {
  const { maxMessageSize, connectionTimeoutMs, retryAttempts, enableCompression, compressionThreshold, queueCapacity } = config;
  return { maxMessageSize, connectionTimeoutMs, retryAttempts, enableCompression, compressionThreshold, queueCapacity };
}
