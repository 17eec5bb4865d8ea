import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo, Server as NetServer } from "node:net";
import { WebSocketServer } from "ws";
import { encodeEnvelopeBody } from "../../../protocol/batch.js";
import { Message } from "../../../protocol/message.js";
import { resolveConfig, type TransportConfig } from "../../../transport/config.js";
import { TransportError } from "../../../transport/errors.js";
import { SENT } from "../../../transport/sent.js";
import type { ReceivedMessage, ReceiveOptions, SendOptions, ServiceAnnouncement, TransportState } from "../../../transport/transport.js";
import type { WebSocketConfig } from "../client.js";
import { CoreTransport } from "../../../transport/core-transport.js";
import { EndpointCore } from "../../../transport/endpoint-core.js";
import { closeAndWait } from "../link.js";
import { resolveTuning, transportPart, type WebSocketTuning } from "../options.js";
import type { AgentConnection } from "./agent-connection.js";
import type { AgentInfo } from "./agent-info.js";
import { CallTracker, type CallTrackingOptions, type MethodCallStats } from "./call-tracker.js";
import type { HubAuthenticate, HubLinkAccess } from "./auth.js";
import { HubAdmission } from "./hub-admission.js";
import { HubConnections } from "./hub-connections.js";
import { HubEvents, type HubAgentEvent } from "./hub-events.js";
import type { HubHttpExtension } from "./hub-http.js";
import { HubInbox } from "./hub-inbox.js";
import { openHubLink } from "./hub-link.js";
import type { HubLinkOptions } from "./hub-link-options.js";
import { createHubListener, listenOn, type ListenerTls } from "./hub-listener.js";
import { HubRouter } from "./hub-router.js";
import { NatsBackplane, type BackplaneHost } from "./nats-backplane.js";
import type { NatsBackplaneOptions } from "./nats-backplane-options.js";
import { HubCounters, type HubStats } from "./hub-stats.js";
import { Presence } from "./presence.js";
import { ServiceTable } from "./service-table.js";
import { SessionEnds } from "./session-ends.js";

/** Where and how a hub listens. */
export interface WebSocketHubOptions {
  /** "host:port"; port 0 picks a free one (read it from `hub.port`). */
  bindAddr: string;
  /** The hub's own address as an endpoint. Default "hub" (on a NATS backplane, a random `hub_…`: hubs there need ids of their own). */
  hubId?: string;
  /** Sent to every agent in HelloAck. */
  metadata?: Record<string, string>;
  /**
   * Serve wss:// with this certificate and key (PEM). With `ca`, clients may present
   * certificates signed by it (checked for hub links when `links.mutualTls` is set).
   */
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer };
  /**
   * Authenticates an agent before it is registered: false (or a throw) refuses, true vouches for
   * the id in its Hello, a `HubIdentity` names the ids it may use. Built in: `signedTokenAuth`
   * (signed tokens naming the agent id and an expiry) and `staticTokenAuth` (one shared token,
   * for development). Without it anyone may connect as any free id.
   */
  authenticate?: HubAuthenticate;
  /** Who may link to this hub as another hub (their own credential, or mutual TLS). Default: nobody. Not with `nats`. */
  links?: HubLinkAccess;
  /** Most agents one agent may watch for departures (see README, "Presence"). Default 4,096. */
  maxWatchesPerAgent?: number;
  /**
   * Serves plain HTTP requests too (same port unless it says otherwise), e.g.
   * `createHubHttp({ gateway, health: true, metrics: true })` from "swarm-transport/node".
   */
  http?: HubHttpExtension;
  /**
   * Joins a NATS cluster as this hub's backplane (see NatsBackplane): agents of every hub on
   * it, and agents on NATS directly, reach each other. Replaces hub-to-hub `link`s.
   */
  nats?: NatsBackplaneOptions;
}

/**
 * A WebSocket hub (Node): agents connect, say Hello with their agent id, and the hub routes
 * `send(to)` to the agent with that id and broadcasts to every other agent. The hub is also a
 * Transport endpoint with address `hubId`. Frames are forwarded as received (no re-encoding)
 * unless the receiver did not negotiate compression. Bad input closes only the connection it
 * came on (close code and Goodbye name the reason); a slow consumer past
 * `maxConsumerBufferBytes` is disconnected; silent agents past `heartbeatTimeoutMs` are dropped.
 * Messages to the hub itself are queued only once the application reads the hub, within its
 * `queueCapacity` and `queueCapacityBytes`; otherwise their senders get Undeliverable.
 * docs/security.md describes who may claim which id and what a hub link may do.
 */
export class WebSocketHub extends CoreTransport {
  readonly localAddress: string;
  readonly config: Readonly<TransportConfig>;
  readonly tuning: Readonly<WebSocketTuning>;
  /** Which agents serve which RPC services (their `Services` announcements); the HTTP edge routes by it. */
  readonly services = new ServiceTable();
  readonly #options: WebSocketHubOptions;
  protected readonly core: EndpointCore;
  readonly #counters = new HubCounters();
  readonly #events = new HubEvents();
  readonly #router: HubRouter;
  readonly #inbox: HubInbox;
  readonly #presence: Presence;
  readonly #admission: HubAdmission;
  readonly #connections: HubConnections;
  /** HTTP/1.x on the hub's port: WebSocket upgrades and the HTTP extension's requests (it never listens itself). */
  readonly #server: Server;
  /** The listening socket: hands each connection to #server, or to the extension's HTTP/2 side. */
  readonly #listener: NetServer;
  readonly #wss: WebSocketServer;
  #state: TransportState = "open";
  #backplane: NatsBackplane | undefined;
  /** The last send to each address elsewhere on the backplane, so the next waits for it. */
  readonly #elsewhere = new Map<string, Promise<void>>();
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #port = 0;

  private constructor(options: WebSocketHubOptions, config: WebSocketConfig) {
    super();
    // hubs on one backplane are endpoints of one swarm: each needs an id of its own
    this.localAddress = options.hubId ?? (options.nats === undefined ? "hub" : `hub_${Math.random().toString(36).slice(2, 10)}`);
    this.#options = options;
    this.config = resolveConfig(transportPart(config));
    this.tuning = resolveTuning(config, this.config.queueCapacity);
    this.core = new EndpointCore(this.config, `WebSocket hub "${this.localAddress}"`);
    // in dependency order, so no part is handed a callback into one not yet built
    const settings = { hubId: this.localAddress, config: this.config, tuning: this.tuning, isOpen: () => this.#state === "open", services: this.services, events: this.#events };
    this.#inbox = new HubInbox(this.core, this.localAddress);
    this.#presence = new Presence(options.maxWatchesPerAgent ?? 4096);
    const afterWrite = (target: AgentConnection) => this.#connections.checkConsumer(target);
    const parts = { endpoint: this.core, inbox: this.#inbox, counters: this.#counters, presence: this.#presence, afterWrite, maxMessageSize: this.config.maxMessageSize };
    this.#router = new HubRouter(this.localAddress, parts);
    const ends = new SessionEnds(this.#router, this.localAddress, this.core.stats, this.tuning.sessionGraceMs);
    const door = { ...settings, metadata: options.metadata ?? {}, authenticate: options.authenticate, links: options.links };
    this.#admission = new HubAdmission(door, this.#router, this.#counters, ends);
    this.#connections = new HubConnections(settings, this.#router, this.#admission, this.#counters, this.core.stats, this.#presence);
    this.#server = createHttpServer();
    this.#listener = createHubListener({ tls: listenerTls(options), http1: this.#server, http2: () => options.http?.acceptHttp2, http1Engine: () => options.http?.acceptHttp1 });
    this.#wss = new WebSocketServer({ server: this.#server, maxPayload: this.config.maxMessageSize + 1, perMessageDeflate: false });
    this.#wss.on("connection", (socket, request) => this.#connections.accept(socket, request));
    this.#wss.on("error", () => this.core.stats.errors++);
    this.core.onPeerGone((event) => {
      if (event.address !== undefined) this.services.forget(event.address);
    });
  }

  /** Starts a hub listening on `bindAddr`. Rejects with `AddressInUse` or `InvalidAddress`. */
  static async listen(options: WebSocketHubOptions, config: WebSocketConfig = {}): Promise<WebSocketHub> {
    const match = /^(.*):(\d+)$/.exec(options.bindAddr);
    if (match === null || Number(match[2]) > 65535) throw new TransportError("InvalidAddress", `bindAddr must be "host:port" with a port 0-65535, got "${options.bindAddr}"`, { address: options.bindAddr });
    // hubs on a backplane reach each other through NATS: a linked hub's agents would be reachable from this hub only
    if (options.links !== undefined && options.nats !== undefined) throw new RangeError("links and nats do not go together: hubs on a NATS backplane take no hub links");
    const hub = new WebSocketHub(options, config);
    await options.http?.start(hub, hub.#server);
    await listenOn(hub.#listener, options.bindAddr).catch(async (error: unknown) => {
      await options.http?.close();
      throw error;
    });
    hub.#listener.on("error", () => hub.core.stats.errors++);
    // the HTTP/1 server never listens itself: this starts its connection tracking (request timeouts, closeAllConnections)
    hub.#server.emit("listening");
    hub.#port = (hub.#listener.address() as AddressInfo).port;
    if (options.nats !== undefined) {
      try {
        hub.#backplane = await NatsBackplane.join(hub.#backplaneHost(), options.nats, hub.config.maxMessageSize, hub.config.connectionTimeoutMs);
      } catch (error) {
        await hub.close();
        throw error;
      }
      hub.#router.backplane = hub.#backplane;
      // the hub's own endpoint (its HTTP gateway calls agents elsewhere) is reachable too, under its id
      if (await hub.#backplane.answersElsewhere(hub.localAddress)) {
        await hub.close();
        throw new TransportError("AddressInUse", `hub id "${hub.localAddress}" is taken on the NATS backplane: give each hub its own id`, { address: hub.localAddress });
      }
      hub.#backplane.joined(hub.localAddress, 0);
    }
    const interval = hub.tuning.heartbeatIntervalMs;
    if (interval > 0) hub.#heartbeatTimer = setInterval(() => hub.#connections.sweep(), Math.max(1, Math.min(interval, hub.tuning.heartbeatTimeoutMs / 2)));
    return hub;
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return this.#port;
  }

  /** `ws://host:port` (or `wss://`) for clients. */
  get url(): string {
    const host = (this.#listener.address() as AddressInfo | null)?.address ?? "127.0.0.1";
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
    return this.#router.listAgents();
  }

  /** Ids of agents on linked hubs (or elsewhere on the NATS backplane) that this hub can route to. */
  remoteAgents(): string[] {
    return [...this.#router.remoteAgents(), ...(this.#backplane?.remoteAgents() ?? [])];
  }

  /** Ids of the hubs linked to this one (either side may have opened the link). */
  linkedHubs(): string[] {
    return this.#router.linkedHubs();
  }

  /**
   * Links this hub to another hub at `url`: each routes to the other's agents (hop by hop,
   * decrementing ttl) and they share broadcasts. Links must form a tree. A dropped link is not
   * re-opened: call `link` again.
   */
  async link(url: string, options: HubLinkOptions = {}): Promise<void> {
    if (this.#backplane !== undefined) throw new TransportError("NotAvailable", `hub "${this.localAddress}" is on a NATS backplane: hubs there reach each other without links`);
    const { connection, handoff } = await openHubLink(url, this.localAddress, options, this.config, this.tuning, this.core.stats);
    if (this.#state !== "open" || this.#router.isTaken(connection.agentId)) {
      await closeAndWait(connection.link, `hub id "${connection.agentId}" is already linked or taken`);
      throw new TransportError("AddressInUse", `hub "${connection.agentId}" at ${url} is already linked, or its id is taken here`, { address: connection.agentId });
    }
    this.#connections.attachHubLink(connection, handoff);
  }

  /**
   * Cuts an agent's connection abruptly (no Goodbye), as a network failure would. An agent with
   * a session stays routable for `sessionGraceMs` and resumes it when it reconnects.
   */
  dropConnection(agentId: string): void {
    const connection = this.#router.agent(agentId);
    if (connection?.state === "open") connection.socket.terminate();
  }

  /** Tells `listener` when an agent joins, is parked, leaves, or has its connection dropped by the hub (for logs). Returns a function that removes it. */
  onAgentEvent(listener: (event: HubAgentEvent) => void): () => void {
    return this.#events.listen(listener);
  }

  /** Per-agent statistics (and per linked hub, by its id). */
  agentInfo(agentId: string): AgentInfo | undefined {
    const calls = this.#router.calls;
    return this.#router.agent(agentId)?.info({ serving: calls?.serving(agentId) ?? 0, making: calls?.making(agentId) ?? 0 }, this.#presence.watchCount(agentId));
  }

  /** Statistics of every agent and hub link, in one pass. */
  agentInfos(): AgentInfo[] {
    const calls = this.#router.calls;
    return this.#router.connections().map((connection) => connection.info({ serving: calls?.serving(connection.agentId) ?? 0, making: calls?.making(connection.agentId) ?? 0 }, this.#presence.watchCount(connection.agentId)));
  }

  /**
   * The RPC calls this hub routes between agents: per agent in flight (`AgentInfo.callsServing`,
   * `callsMaking`), per method by status and latency. Tracking starts with the first call of
   * this method (calls already in flight then are not counted) and costs a few map operations
   * per call routed; `options` apply to that first call.
   */
  callStats(options?: CallTrackingOptions): HubCallStats {
    return (this.#router.calls ??= new CallTracker(options));
  }

  /** Sends each agent a WebSocket ping (one at a time per agent); its round trip becomes `AgentInfo.rttMs`. */
  pingAgents(): void {
    for (const connection of this.#router.connections()) connection.ping();
  }

  /** Hub-wide counters: connected agents, routed, dropped by ttl, undeliverable, ... */
  hubStats(): HubStats {
    return this.#counters.snapshot(this.#router.agentCount);
  }

  send(to: string, message: Message, _options?: SendOptions): Promise<void> {
    if (this.#state !== "open") return this.core.fail(TransportError.closed(this.core.what));
    if (to === this.localAddress) {
      this.core.deliver(to, message, message.sizeUpperBound());
      this.#sent();
      return SENT;
    }
    this.#router.noteOwnInterest(message.envelope);
    const target = this.#router.nextHop(to);
    if (target === undefined) {
      if (this.#backplane !== undefined) return this.#sendElsewhere(to, message);
      return this.core.fail(new TransportError("InvalidAddress", `no agent "${to}" on hub "${this.localAddress}"`, { address: to }));
    }
    try {
      this.#connections.write(target, to, message);
    } catch (error) {
      return this.core.fail(writeError(error));
    }
    this.#sent();
    return SENT;
  }

  broadcast(message: Message, _options?: SendOptions): Promise<void> {
    if (this.#state !== "open") return this.core.fail(TransportError.closed(this.core.what));
    this.#router.noteOwnInterest(message.envelope);
    try {
      for (const target of this.#router.connections()) this.#connections.write(target, undefined, message);
    } catch (error) {
      return this.core.fail(writeError(error));
    }
    this.#sent();
    return SENT;
  }

  /** The next message to the hub. From the first call on, the hub queues messages for its application (see the class). */
  override receive(options?: ReceiveOptions): Promise<ReceivedMessage> {
    this.#inbox.markReading();
    return super.receive(options);
  }

  override tryReceive(): ReceivedMessage | undefined {
    this.#inbox.markReading();
    return super.tryReceive();
  }

  /** Serves `services` from the hub's own endpoint (e.g. an RpcServer on the hub's demux): the HTTP edge routes them here. */
  announceServices(services: ServiceAnnouncement): void {
    this.services.announce(this.localAddress, services);
  }

  /** Says Goodbye to every agent, closes their sockets and the listening socket, releases everything. */
  async close(): Promise<void> {
    if (this.#state !== "open") return;
    this.#state = "closing";
    await this.#options.http?.close();
    await this.#backplane?.close();
    clearInterval(this.#heartbeatTimer);
    this.#admission.close();
    await this.#connections.closeAll();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    this.#server.closeAllConnections();
    this.#server.close(); // stops its connection tracking; it has no port of its own
    await new Promise<void>((resolve) => this.#listener.close(() => resolve()));
    this.core.close();
    this.#state = "closed";
  }

  /**
   * A send from the hub's own endpoint (the HTTP gateway's calls) to an agent elsewhere on the
   * backplane. Sends to one address wait for the ones before (the first looks it up), so they
   * leave in order.
   */
  #sendElsewhere(to: string, message: Message): Promise<void> {
    const previous = this.#elsewhere.get(to) ?? SENT;
    const sent = previous.then(() => this.#forwardElsewhere(to, message));
    const settled = sent.then(
      () => undefined,
      () => undefined,
    );
    this.#elsewhere.set(to, settled);
    void settled.then(() => {
      if (this.#elsewhere.get(to) === settled) this.#elsewhere.delete(to);
    });
    return sent;
  }

  async #forwardElsewhere(to: string, message: Message): Promise<void> {
    const backplane = this.#backplane!;
    const { found } = await this.#router.resolve(to);
    const envelope = message.envelope;
    const previous = envelope.destination;
    envelope.destination = to;
    let forwarded: boolean;
    try {
      forwarded = found && backplane.forward(to, encodeEnvelopeBody(envelope, this.config.maxMessageSize)); // held to the wire limits, as every send
    } catch (error) {
      return this.core.fail(writeError(error));
    } finally {
      envelope.destination = previous;
    }
    if (!forwarded) return this.core.fail(new TransportError("InvalidAddress", `no agent "${to}" on hub "${this.localAddress}" or elsewhere on its NATS backplane`, { address: to }));
    this.#sent();
  }

  /** What the NATS backplane asks of this hub: deliveries to its agents, credit, PeerGone. */
  #backplaneHost(): BackplaneHost {
    const router = this.#router;
    return {
      hubId: this.localAddress,
      stats: this.core.stats,
      deliver: (agentId, envelope, body) => router.fromBackplane(agentId, envelope, body),
      deliverAll: (envelope, body) => router.broadcastFromBackplane(envelope, body),
      credit: (agentId, receiver, count) => router.creditFromBackplane(agentId, receiver, count),
      peerGone: (address, reason) => router.backplaneGone(address, reason),
      moved: (address, reason) => router.backplaneGone(address, reason, true),
      spoofed: () => void this.#counters.spoofedSources++,
    };
  }

  override [Symbol.asyncIterator](): AsyncIterator<ReceivedMessage> {
    this.#inbox.markReading();
    return super[Symbol.asyncIterator]();
  }

  #sent(): void {
    this.core.stats.messagesSent++;
    this.core.stats.lastActivityMs = Date.now();
  }
}


/** What a hub knows of the RPC calls it routes (see `WebSocketHub.callStats`). */
export interface HubCallStats {
  /** Per method: calls in flight, ended by status, latency. */
  methods(): MethodCallStats[];
  /** Calls routed to `agent` that it has not answered. */
  serving(agent: string): number;
  /** Calls `agent` made that are not answered yet. */
  making(agent: string): number;
  /** Calls routed but not tracked, past the bound of calls tracked at once. */
  readonly untracked: number;
}

/**
 * The listener's TLS settings: with `tls.ca`, clients may present certificates signed by it (a
 * hub link's is checked at its Hello when `links.mutualTls` is set; agents may come without).
 */
function listenerTls(options: WebSocketHubOptions): ListenerTls | undefined {
  const tls = options.tls;
  if (options.links?.mutualTls === true && tls?.ca === undefined) throw new RangeError("links.mutualTls needs tls.ca (the CA that signs the linking hubs' certificates)");
  return tls;
}

/** What `send` and `broadcast` reject with when a write throws (a compression plug-in may throw anything). */
function writeError(error: unknown): TransportError {
  return TransportError.is(error) ? error : new TransportError("SerializationError", `cannot write the message: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error });
}
