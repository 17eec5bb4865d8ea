/**
 * HTTP on a hub: the gateway (gRPC, gRPC-Web, Connect to the agents behind it, with gRPC health
 * and reflection), `/healthz` and `/metrics`, each turned on by an option, over HTTP/1.1 and
 * HTTP/2 on the hub's own port or one of its own. Pass the result as the hub's `http` option:
 * ```ts
 * const hub = await WebSocketTransport.server({
 *   bindAddr: "127.0.0.1:8080",
 *   http: createHubHttp({ gateway: { protoFiles: ["proto/swarm/examples/v1/compute.proto"] }, health: true, metrics: true }),
 * });
 * ```
 */
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo, Server, Socket } from "node:net";
import { createDemux, type Demux } from "../demux/demux.js";
import { createServer as createRpcServer, type RpcServer } from "../rpc/server.js";
import type { WebSocketHub } from "../transports/websocket/hub/hub.js";
import type { HubHttpExtension } from "../transports/websocket/hub/hub-http.js";
import { createHubListener, listenOn, type Http1ConnectionHandler, type Http2ConnectionHandler } from "../transports/websocket/hub/hub-listener.js";
import { ConnectionSweeper } from "./connection-sweeper.js";
import { H1Connection } from "./h1/h1-connection.js";
import { resolveH1Limits, type H1Limits } from "./h1/h1-limits.js";
import { DescriptorPool } from "./descriptor-pool.js";
import { Gateway, type GatewayCallObserver, type GatewayOptions } from "./gateway.js";
import { loadGatewaySchemas } from "./gateway-schema.js";
import { addHealth } from "./grpc-health.js";
import { serveHealth, type HealthOptions } from "./health.js";
import { Http1Exchange, type HttpExchange } from "./http-exchange.js";
import { Http2Edge, type Http2EdgeOptions } from "./http2-server.js";
import { HubMetrics, type MetricsOptions } from "./metrics.js";
import { addReflection } from "./reflection.js";

/** What a hub serves over HTTP. Everything is off unless set. */
export interface HubHttpOptions {
  /**
   * gRPC, gRPC-Web and Connect calls `POST /<package.Service>/<Method>` to the hub's agents,
   * with grpc.health.v1 and server reflection (`true`: binary calls and announced schemas only).
   */
  gateway?: GatewayOptions | boolean;
  /** `/healthz`, `/healthz/live`, `/healthz/ready`. */
  health?: HealthOptions | boolean;
  /**
   * `/metrics` in the Prometheus text format, with series per agent and per method (their label
   * values capped: `MetricsOptions`).
   */
  metrics?: boolean | MetricsOptions;
  /** "host:port" to serve on instead of the hub's own port (port 0 picks one: read `port`). */
  bindAddr?: string;
  /** TLS (ALPN h2 and http/1.1) on the port of its own (`bindAddr`); the hub's port uses the hub's `tls`. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** HTTP/2 settings; `false`: HTTP/1.1 only. Default on. */
  http2?: Http2EdgeOptions | false;
  /**
   * Who parses HTTP/1.1, and its limits: "swarm", the edge's own parser for plain requests (unary
   * calls: about 60% of node:http's CPU per request), handing anything else (WebSocket upgrades,
   * chunked uploads, `expect`) to node:http; or "node" for node:http throughout. Default "swarm"
   * with `H1_DEFAULTS`; an object sets the limits (and `engine`).
   */
  http1?: "swarm" | "node" | Http1EdgeOptions;
  /**
   * The demux reading the hub's own endpoint, when the application made one (to serve RPC from
   * the hub itself, say); the gateway's calls go through it. Default: the gateway makes one.
   */
  demux?: Demux;
  /** The RpcServer on that demux, if the application has one: health and reflection are added to it. */
  rpcServer?: RpcServer;
  /** Told about every gateway call when it ends (logs, say): its method, status, seconds and bytes. */
  onCall?: GatewayCallObserver;
}

/**
 * HTTP/1.1 settings of the edge: its limits (`H1Limits`, each optional; defaults in `H1_DEFAULTS`
 * and docs/gateway.md) and its engine. node:http (engine "node", and the connections the edge
 * hands it) takes the timeouts and `maxHeaderCount` too.
 */
export interface Http1EdgeOptions extends Partial<H1Limits> {
  /** "swarm" (default) or "node". */
  engine?: "swarm" | "node";
}

type State = "new" | "open" | "closed";

/** The HTTP side of one hub (a `HubHttpExtension`). */
export class HubHttp implements HubHttpExtension {
  readonly #options: HubHttpOptions;
  #state: State = "new";
  #http1: HttpServer | undefined;
  #listener: Server | undefined;
  #hub: WebSocketHub | undefined;
  #gateway: Gateway | undefined;
  #http2: Http2Edge | undefined;
  #demux: Demux | undefined;
  #ownDemux = false;
  #rpcServer: RpcServer | undefined;
  #metrics: HubMetrics | undefined;
  readonly #h1Connections = new Set<H1Connection>();
  readonly #h1Engine: "swarm" | "node";
  readonly #h1Limits: H1Limits;
  readonly #h1Sweeper: ConnectionSweeper;
  #minAgents = 1;

  /** Throws a RangeError naming an option out of range. */
  constructor(options: HubHttpOptions) {
    this.#options = options;
    const http1 = typeof options.http1 === "object" ? options.http1 : { engine: options.http1 };
    this.#h1Engine = http1.engine ?? "swarm";
    const limits = (this.#h1Limits = resolveH1Limits(http1));
    this.#h1Sweeper = new ConnectionSweeper(ConnectionSweeper.intervalFor(limits.headersTimeoutMs, limits.requestTimeoutMs, limits.idleTimeoutMs, limits.stallTimeoutMs));
    this.#acceptHttp1 = Object.assign(this.#takeHttp1, { firstBytesTimeoutMs: limits.headersTimeoutMs });
    const health = options.health;
    if (typeof health === "object" && health.minAgents !== undefined) {
      if (!Number.isSafeInteger(health.minAgents) || health.minAgents < 0) throw new RangeError(`health.minAgents must be an integer >= 0, got ${String(health.minAgents)}`);
      this.#minAgents = health.minAgents;
    }
  }

  /** The gateway, once started with `gateway` on. */
  get gateway(): Gateway | undefined {
    return this.#gateway;
  }

  /** The RpcServer on the hub's own endpoint (health, reflection), once started with the gateway on: the application's, or the one the gateway made. */
  get rpcServer(): RpcServer | undefined {
    return this.#options.rpcServer ?? this.#rpcServer;
  }

  /** The metrics registry, once started with `metrics` on (to merge into another registry, say). */
  get metrics(): HubMetrics | undefined {
    return this.#metrics;
  }

  /** The port HTTP is served on (the hub's, unless `bindAddr` was given). */
  get port(): number {
    if (this.#listener === undefined) return this.#hub?.port ?? 0;
    return (this.#listener.address() as AddressInfo | null)?.port ?? 0;
  }

  /** HTTP/2 connections arriving on the hub's port (when serving there with the gateway on). */
  get acceptHttp2(): Http2ConnectionHandler | undefined {
    return this.#listener === undefined ? this.#http2?.accept : undefined;
  }

  /** HTTP/1.x connections arriving on the hub's port, before node:http (when serving there with the gateway on). */
  get acceptHttp1(): Http1ConnectionHandler | undefined {
    return this.#listener === undefined ? this.#http1Engine() : undefined;
  }

  #http1Engine(): Http1ConnectionHandler | undefined {
    return this.#gateway !== undefined && this.#h1Engine !== "node" && this.#state === "open" ? this.#acceptHttp1 : undefined;
  }

  /** Bytes the edge's own HTTP/2 holds for its clients now (socket buffers, responses waiting for windows, open streams' headers). */
  get bufferedBytes(): number {
    return this.#http2?.bufferedBytes ?? 0;
  }

  readonly #acceptHttp1: Http1ConnectionHandler;

  readonly #takeHttp1 = (socket: Socket): void => {
    const connection: H1Connection = new H1Connection(socket, (exchange) => this.#onExchange(exchange), this.#handOver, this.#h1Limits, this.#h1Sweeper, () => this.#h1Connections.delete(connection));
    this.#h1Connections.add(connection);
  };

  /** What the edge's HTTP/1.1 does not serve itself goes to node's server, the bytes read so far first. */
  readonly #handOver = (socket: Socket, read: Buffer): void => {
    socket.unshift(read);
    this.#http1!.emit("connection", socket);
    socket.resume();
  };

  async start(hub: WebSocketHub, hubServer: HttpServer): Promise<void> {
    if (this.#state !== "new") throw new Error("this HubHttp is already attached to a hub: create one per hub");
    this.#state = "open";
    this.#hub = hub;
    const options = this.#options;
    try {
      if (options.gateway !== undefined && options.gateway !== false) await this.#startGateway(hub, options.gateway === true ? {} : options.gateway);
      if (options.metrics !== undefined && options.metrics !== false) {
        this.#metrics = new HubMetrics(hub, () => this.#gateway?.inFlight ?? 0, options.metrics === true ? {} : options.metrics, (agent) => this.#gateway?.inFlightTo(agent) ?? 0);
      }
      if (options.bindAddr === undefined) {
        this.#http1 = hubServer;
      } else {
        this.#http1 = createServer({ connectionsCheckingInterval: this.#h1Sweeper.intervalMs });
        this.#listener = createHubListener({ tls: options.tls, http1: this.#http1, http2: () => this.#http2?.accept, http1Engine: () => this.#http1Engine() });
        await listenOn(this.#listener, options.bindAddr, "http.bindAddr");
        this.#http1.emit("listening"); // starts its connection tracking: it gets connections from the listener
      }
      this.#http1.on("request", this.#onRequest);
      applyLimits(this.#http1, this.#h1Limits);
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#http1?.off("request", this.#onRequest);
    this.#gateway?.close();
    this.#http2?.close();
    for (const connection of this.#h1Connections) connection.destroy();
    this.#h1Connections.clear();
    this.#metrics?.close();
    await this.#rpcServer?.close();
    if (this.#ownDemux) await this.#demux?.close();
    const listener = this.#listener;
    if (listener !== undefined) {
      this.#http1!.closeAllConnections();
      this.#http1!.close();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  }

  async #startGateway(hub: WebSocketHub, options: GatewayOptions): Promise<void> {
    const schemas = await loadGatewaySchemas(options.protoFiles ?? [], options.importPaths ?? [], options.services ?? []);
    this.#ownDemux = this.#options.demux === undefined;
    const demux = (this.#demux = this.#options.demux ?? createDemux(hub));
    const onCall = this.#options.onCall;
    const metrics = this.#options.metrics !== undefined && this.#options.metrics !== false;
    const observe: GatewayCallObserver | undefined =
      !metrics && onCall === undefined
        ? undefined
        : (...args) => {
            this.#metrics?.observeCall(...args);
            onCall?.(...args);
          };
    this.#gateway = new Gateway({ demux, services: hub.services, methods: schemas.methods, maxMessageSize: hub.config.maxMessageSize, observe }, options);
    if (this.#options.http2 !== false) this.#http2 = new Http2Edge((exchange) => this.#onExchange(exchange), this.#options.http2);
    // health and reflection are RPC services of the hub's own endpoint: the edge routes to them as to any agent
    const server = this.#options.rpcServer ?? createRpcServer(demux);
    if (this.#options.rpcServer === undefined) this.#rpcServer = server;
    const pool = new AnnouncedPool(schemas.descriptorSets, () => hub.services.descriptorSets());
    addHealth(server, {
      open: () => hub.state === "open",
      state: (service) => {
        const state = hub.services.state(service);
        return state === "unknown" && pool.current().services().includes(service) ? "not-serving" : state;
      },
      onChange: (listener) => hub.services.onChange(listener),
    });
    addReflection(server, { pool: () => pool.current(), announcedServices: () => hub.services.services() });
  }

  readonly #onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    request.on("error", ignore);
    this.#onExchange(new Http1Exchange(request, response));
  };

  #onExchange(exchange: HttpExchange): void {
    const path = exchange.path;
    const hub = this.#hub!;
    if (this.#options.health !== undefined && this.#options.health !== false && (path === "/healthz" || path === "/healthz/live" || path === "/healthz/ready")) {
      return serveHealth(exchange, hub, this.#minAgents);
    }
    if (path === "/metrics" && this.#metrics !== undefined) return void this.#serveMetrics(exchange);
    if (this.#gateway !== undefined) return this.#gateway.handle(exchange);
    exchange.reply(404, { "content-type": "application/json" }, JSON.stringify({ code: "not_found", message: `nothing is served at ${JSON.stringify(path)}` }));
  }

  async #serveMetrics(exchange: HttpExchange): Promise<void> {
    try {
      const text = await this.#metrics!.text();
      exchange.reply(200, { "content-type": this.#metrics!.contentType }, text);
    } catch (error) {
      exchange.reply(500, { "content-type": "text/plain" }, `metrics failed: ${(error as Error).message}\n`);
    }
  }
}

/** node:http's own limits, for the connections it serves: the edge's timeouts and field count. */
function applyLimits(server: HttpServer, limits: H1Limits): void {
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = limits.headersTimeoutMs;
  server.keepAliveTimeout = limits.idleTimeoutMs;
  server.maxHeadersCount = limits.maxHeaderCount;
}

/** A `HubHttpExtension` for a hub's `http` option: gateway, health and metrics as `options` say. */
export function createHubHttp(options: HubHttpOptions): HubHttp {
  return new HubHttp(options);
}

/** The descriptor pool of the loaded schemas plus the sets agents announced, rebuilt only when those change. */
class AnnouncedPool {
  readonly #fixed: readonly Uint8Array[];
  readonly #announced: () => Uint8Array[];
  #sets: Uint8Array[] = [];
  #pool: DescriptorPool | undefined;

  constructor(fixed: readonly Uint8Array[], announced: () => Uint8Array[]) {
    this.#fixed = fixed;
    this.#announced = announced;
  }

  current(): DescriptorPool {
    const sets = this.#announced();
    if (this.#pool !== undefined && sets.length === this.#sets.length && sets.every((set, i) => set === this.#sets[i])) return this.#pool;
    this.#sets = sets;
    const pool = new DescriptorPool();
    for (const set of [...this.#fixed, ...sets]) pool.add(set);
    return (this.#pool = pool);
  }
}

function ignore(): void {}
