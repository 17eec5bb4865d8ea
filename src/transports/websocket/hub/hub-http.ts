import type { Server } from "node:http";
import type { WebSocketHub } from "./hub.js";

/**
 * Plain HTTP beside a hub's WebSocket upgrades: the gateway, health and metrics of
 * `createHubHttp(...)` ("swarm-transport/node") implement it. The hub knows nothing of what it
 * serves: it calls `start` once before it listens, with its own HTTP server (the extension
 * adds a "request" listener there, or listens on a port of its own), and `close` first when
 * it closes, so in-flight HTTP requests are answered before the agents go.
 */
export interface HubHttpExtension {
  /** Attaches to `hub`; a rejection fails the hub's start. */
  start(hub: WebSocketHub, server: Server): Promise<void>;
  /** Stops serving and releases everything `start` opened. Idempotent. */
  close(): Promise<void>;
}
