import type { TransportRegistry } from "../transport/transport-registry.js";
import { createTransportRegistry, type TransportRegistryOptions } from "../transports/default-registry.js";
import { WebSocketTransport, type NodeWebSocketClientOptions } from "../transports/websocket/hub/websocket-transport.js";
import { NatsTransport } from "../transports/nats/nats-transport.js";

/**
 * `createTransportRegistry` for Node: `ws://` and `wss://` connect through the `ws` package
 * with gzip compression (Node 20 has no global WebSocket); `nats://host:port[,host:port...]`
 * is a `NatsTransport` on that cluster (NATS settings such as `subjectPrefix` ride in the
 * config; `token` is a NATS auth token); everything else as in browsers.
 */
export function createNodeTransportRegistry(options: Omit<TransportRegistryOptions, "createSocket"> = {}): TransportRegistry {
  const webSocket: Parameters<TransportRegistry["register"]>[1] = (url, { id, config = {}, token, urls = [url] }) => {
    // wss:// trust settings (a hub's CA or self-signed certificate) may ride in the config as `tls`
    const { tls, ...rest } = config as typeof config & { tls?: NodeWebSocketClientOptions["tls"] };
    // ws://a:8080,b:8080: hubs of one swarm (on a NATS backplane) to fail over between
    const fallbackUrls = urls.slice(1).map((u) => u.href);
    return WebSocketTransport.client(
      { url: url.href, agentId: id, ...(fallbackUrls.length === 0 ? {} : { fallbackUrls }), ...(token === undefined ? {} : { token }), ...(tls === undefined ? {} : { tls }) },
      rest,
    );
  };
  const nats: Parameters<TransportRegistry["register"]>[1] = (url, { id, config = {}, token, urls = [url] }) =>
    NatsTransport.connect({ servers: urls.map((u) => `nats://${u.host}`), agentId: id, ...(token === undefined ? {} : { token }) }, config);
  return createTransportRegistry(options).register("ws", webSocket).register("wss", webSocket).register("nats", nats);
}
