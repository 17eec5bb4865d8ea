import type { Server } from "node:http";
import type { Http1ConnectionHandler, Http2ConnectionHandler } from "./hub-listener.js";
import type { WebSocketHub } from "./hub.js";

/**
 * Plain HTTP beside a hub's WebSocket upgrades: the gateway, health and metrics of
 * `createHubHttp(...)` ("swarm-transport/node") implement it. The hub knows nothing of what it
 * serves: it calls `start` once before it listens, with its own HTTP server (the extension
 * adds a "request" listener there, or listens on a port of its own), and `close` first when
 * it closes, so in-flight HTTP requests are answered before the agents go. When it has
 * `acceptHttp2`, the hub's port speaks HTTP/2 too (cleartext with prior knowledge, TLS by ALPN).
 */
export interface HubHttpExtension {
  /** Attaches to `hub`; a rejection fails the hub's start. */
  start(hub: WebSocketHub, server: Server): Promise<void>;
  /** Stops serving and releases everything `start` opened. Idempotent. */
  close(): Promise<void>;
  /** Takes the HTTP/2 connections that arrive on the hub's port; undefined: the port speaks HTTP/1.1 only. */
  readonly acceptHttp2?: Http2ConnectionHandler | undefined;
  /** Takes the HTTP/1.x connections first (it hands WebSocket upgrades on to the hub's server); undefined: node:http has them all. */
  readonly acceptHttp1?: Http1ConnectionHandler | undefined;
}
