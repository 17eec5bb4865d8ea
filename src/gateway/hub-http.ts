/**
 * Plain HTTP on a hub: the Connect gateway, `/healthz` and `/metrics`, each turned on by an
 * option. Pass the result as the hub's `http` option:
 * ```ts
 * const hub = await WebSocketTransport.server({
 *   bindAddr: "127.0.0.1:8080",
 *   http: createHubHttp({ gateway: { protoFiles: ["proto/swarm/examples/v1/compute.proto"] }, health: true, metrics: true }),
 * });
 * ```
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createDemux, type Demux } from "../demux/demux.js";
import { TransportError } from "../transport/errors.js";
import { socketErrorText } from "../transport/socket-error-text.js";
import type { WebSocketHub } from "../transports/websocket/hub/hub.js";
import type { HubHttpExtension } from "../transports/websocket/hub/hub-http.js";
import { ConnectGateway, type GatewayOptions } from "./connect-gateway.js";
import { serveHealth, type HealthOptions } from "./health.js";
import { HubMetrics } from "./metrics.js";

/** What a hub serves over plain HTTP. Everything is off unless set. */
export interface HubHttpOptions {
  /** Connect-protocol unary calls `POST /<package.Service>/<Method>` to the hub's agents (`true`: binary calls only, no schemas). */
  gateway?: GatewayOptions | boolean;
  /** `/healthz`, `/healthz/live`, `/healthz/ready`. */
  health?: HealthOptions | boolean;
  /** `/metrics` in the Prometheus text format. */
  metrics?: boolean;
  /** "host:port" to serve on instead of the hub's own port (port 0 picks one: read `port`). */
  bindAddr?: string;
  /**
   * The demux reading the hub's own endpoint, when the application made one (to serve RPC from
   * the hub itself, say); the gateway's calls go through it. Default: the gateway makes one.
   */
  demux?: Demux;
}

type State = "new" | "open" | "closed";

/** The HTTP side of one hub (a `HubHttpExtension`). */
export class HubHttp implements HubHttpExtension {
  readonly #options: HubHttpOptions;
  #state: State = "new";
  #server: Server | undefined;
  #ownServer = false;
  #hub: WebSocketHub | undefined;
  #gateway: ConnectGateway | undefined;
  #demux: Demux | undefined;
  #ownDemux = false;
  #metrics: HubMetrics | undefined;
  #minAgents = 1;

  constructor(options: HubHttpOptions) {
    this.#options = options;
    const health = options.health;
    if (typeof health === "object" && health.minAgents !== undefined) {
      if (!Number.isSafeInteger(health.minAgents) || health.minAgents < 0) throw new RangeError(`health.minAgents must be an integer >= 0, got ${String(health.minAgents)}`);
      this.#minAgents = health.minAgents;
    }
  }

  /** The gateway, once started with `gateway` on. */
  get gateway(): ConnectGateway | undefined {
    return this.#gateway;
  }

  /** The metrics registry, once started with `metrics` on (to merge into another registry, say). */
  get metrics(): HubMetrics | undefined {
    return this.#metrics;
  }

  /** The port HTTP is served on (the hub's, unless `bindAddr` was given). */
  get port(): number {
    return (this.#server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(hub: WebSocketHub, hubServer: Server): Promise<void> {
    if (this.#state !== "new") throw new Error("this HubHttp is already attached to a hub: create one per hub");
    this.#state = "open";
    this.#hub = hub;
    const options = this.#options;
    try {
      if (options.gateway !== undefined && options.gateway !== false) {
        const observe = options.metrics === true ? (...args: Parameters<HubMetrics["observeCall"]>) => this.#metrics?.observeCall(...args) : undefined;
                this.#ownDemux = options.demux === undefined;
        this.#demux = options.demux ?? createDemux(hub);
        this.#gateway = await ConnectGateway.create(this.#demux, options.gateway === true ? {} : options.gateway, hub.config.maxMessageSize, observe);
      }
      if (options.metrics === true) this.#metrics = new HubMetrics(hub, () => this.#gateway?.inFlight ?? 0);
      if (options.bindAddr === undefined) {
        this.#server = hubServer;
      } else {
        this.#server = createServer();
        this.#ownServer = true;
        await listen(this.#server, options.bindAddr);
      }
      this.#server.on("request", this.#onRequest);
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    const server = this.#server;
    server?.off("request", this.#onRequest);
    this.#metrics?.close();
    if (this.#ownDemux) await this.#demux?.close();
    if (server !== undefined && this.#ownServer) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  readonly #onRequest = (request: IncomingMessage, response: ServerResponse): void => {
    const url = request.url ?? "/";
    const query = url.indexOf("?");
    const path = query < 0 ? url : url.slice(0, query);
    const hub = this.#hub!;
    if (this.#options.health !== undefined && this.#options.health !== false && (path === "/healthz" || path === "/healthz/live" || path === "/healthz/ready")) {
      return serveHealth(path, hub, this.#minAgents, response);
    }
    if (path === "/metrics" && this.#metrics !== undefined) return void this.#serveMetrics(response);
    if (this.#gateway !== undefined) return this.#gateway.handle(request, response);
    response.statusCode = 404;
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ code: "not_found", message: `nothing is served at ${JSON.stringify(path)}` }));
  };

  async #serveMetrics(response: ServerResponse): Promise<void> {
    try {
      const text = await this.#metrics!.text();
      response.setHeader("content-type", this.#metrics!.contentType);
      response.end(text);
    } catch (error) {
      response.statusCode = 500;
      response.end(`metrics failed: ${(error as Error).message}\n`);
    }
  }
}

/** A `HubHttpExtension` for a hub's `http` option: gateway, health and metrics as `options` say. */
export function createHubHttp(options: HubHttpOptions): HubHttp {
  return new HubHttp(options);
}

function listen(server: Server, bindAddr: string): Promise<void> {
  const match = /^(.*):(\d+)$/.exec(bindAddr);
  if (match === null || Number(match[2]) > 65535) return Promise.reject(new TransportError("InvalidAddress", `http.bindAddr must be "host:port" with a port 0-65535, got "${bindAddr}"`, { address: bindAddr }));
  return new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const code = error.code === "EADDRINUSE" ? "AddressInUse" : "InvalidAddress";
      reject(new TransportError(code, `cannot listen on ${bindAddr}: ${socketErrorText(error)}`, { address: bindAddr }, { cause: error }));
    });
    server.listen(Number(match[2]), match[1]!.replace(/^\[|\]$/g, ""), () => resolve());
  });
}
