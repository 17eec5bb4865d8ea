import type { TransportRegistry } from "../transport/transport-registry.js";
import { createTransportRegistry, type TransportRegistryOptions } from "../transports/default-registry.js";
import { WebSocketTransport, type NodeWebSocketClientOptions } from "../transports/websocket/hub/websocket-transport.js";

/**
 * `createTransportRegistry` for Node: `ws://` and `wss://` connect through the `ws` package
 * with gzip compression (Node 20 has no global WebSocket); everything else as in browsers.
 */
export function createNodeTransportRegistry(options: Omit<TransportRegistryOptions, "createSocket"> = {}): TransportRegistry {
  const webSocket: Parameters<TransportRegistry["register"]>[1] = (url, { id, config = {}, token }) => {
    // wss:// trust settings (a hub's CA or self-signed certificate) may ride in the config as `tls`
    const { tls, ...rest } = config as typeof config & { tls?: NodeWebSocketClientOptions["tls"] };
    return WebSocketTransport.client({ url: url.href, agentId: id, ...(token === undefined ? {} : { token }), ...(tls === undefined ? {} : { tls }) }, rest);
  };
  return createTransportRegistry(options).register("ws", webSocket).register("wss", webSocket);
}
