import { WebSocket } from "ws";
import { gzip } from "../../../node/gzip.js";
import { DEFAULT_TRANSPORT_CONFIG } from "../../../transport/config.js";
import { WebSocketClientTransport, type WebSocketClientOptions, type WebSocketConfig } from "../client.js";
import { WebSocketHub, type WebSocketHubOptions } from "./hub.js";
import type { SocketFactory } from "../socket.js";

/** Node client options: the browser-safe ones plus TLS trust settings for wss://. */
export interface NodeWebSocketClientOptions extends WebSocketClientOptions {
  /** Trust settings for wss:// (e.g. the CA or self-signed certificate of the hub). */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
}

/**
 * The seed's `WebSocketTransport::new(WsMode::Server | WsMode::Client, config)` for Node:
 * `server` starts a hub, `client` connects an agent through `ws`. Both use gzip from
 * `node:zlib` when compression is enabled (and negotiated).
 */
export const WebSocketTransport = {
  /** A hub listening on `bindAddr` ("127.0.0.1:0" picks a free port: read `hub.port` / `hub.url`). */
  server(options: WebSocketHubOptions, config: WebSocketConfig = {}): Promise<WebSocketHub> {
    return WebSocketHub.listen(options, { compression: gzip, ...config });
  },

  /** An agent connected to the hub at `url` as `agentId`. */
  client(options: NodeWebSocketClientOptions, config: WebSocketConfig = {}): Promise<WebSocketClientTransport> {
    const maxPayload = (config.maxMessageSize ?? DEFAULT_TRANSPORT_CONFIG.maxMessageSize) + 1;
    const createSocket: SocketFactory = (url) =>
      new WebSocket(url, { maxPayload, perMessageDeflate: false, ...options.tls }) as unknown as ReturnType<SocketFactory>;
    return WebSocketClientTransport.connect({ createSocket, ...options }, { compression: gzip, ...config });
  },
};
