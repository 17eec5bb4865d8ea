import type { TransportConfig } from "../transport/config.js";
import { TransportError } from "../transport/errors.js";
import { TransportRegistry, type ConnectOptions } from "../transport/transport-registry.js";
import { InProcessNetwork } from "./in-process/in-process-network.js";
import type { SharedMemorySegment } from "./shared-memory/segment.js";
import { SharedMemoryTransport } from "./shared-memory/shared-memory-transport.js";
import { WebSocketClientTransport } from "./websocket/client.js";
import type { SocketFactory } from "./websocket/socket.js";

/** Options of `createTransportRegistry`. */
export interface TransportRegistryOptions {
  /** Config every transport gets unless `connect` overrides it. */
  config?: Partial<TransportConfig> & Record<string, unknown>;
  /** In-process networks by name (`inproc://<name>`); others are made on first use. */
  networks?: Map<string, InProcessNetwork>;
  /** Shared-memory segments this thread has (made here, or accepted from a parent), reachable as `shm://<segment name>`. */
  segments?: Iterable<SharedMemorySegment>;
  /** Opens WebSocket client sockets. Default: the global `WebSocket` (browsers, Node 22+); in Node 20 use `createNodeTransportRegistry`. */
  createSocket?: SocketFactory;
}

/**
 * A registry with every transport this environment has:
 * - `inproc://<network>`: an endpoint on the in-process network of that name (made on first use);
 * - `ws://host:port`, `wss://…`: an agent connected to a hub (`ws://a:8080,b:8080`: hubs to fail over between);
 * - `shm://<segment>`: an endpoint on a shared-memory segment given in `options.segments`.
 * Runs in browsers; `createNodeTransportRegistry` (swarm-transport/node) adds Node's sockets.
 */
export function createTransportRegistry(options: TransportRegistryOptions = {}): TransportRegistry {
  const networks = options.networks ?? new Map<string, InProcessNetwork>();
  const segments = new Map<string, SharedMemorySegment>();
  for (const segment of options.segments ?? []) segments.set(segment.name, segment);
  const webSocket = (url: URL, connect: ConnectOptions) => {
    const { id, config, token, urls = [url] } = connect;
    const fallbackUrls = urls.slice(1).map((u) => u.href);
    return WebSocketClientTransport.connect(
      {
        url: url.href,
        agentId: id,
        ...(fallbackUrls.length === 0 ? {} : { fallbackUrls }),
        ...(token === undefined ? {} : { token }),
        ...(options.createSocket === undefined ? {} : { createSocket: options.createSocket }),
      },
      config,
    );
  };
  return new TransportRegistry(options.config)
    .register("inproc", (url, { id, config }) => {
      const name = url.host || "default";
      let network = networks.get(name);
      if (network === undefined) networks.set(name, (network = new InProcessNetwork()));
      return network.connect(id, config);
    })
    .register("shm", (url, { id, config }) => {
      const segment = segments.get(decodeURIComponent(url.host));
      if (segment === undefined) {
        const known = [...segments.keys()].join(", ") || "none";
        throw new TransportError("NotAvailable", `no shared-memory segment named "${url.host}" was given to this registry (segments: ${known})`, { address: url.href });
      }
      return SharedMemoryTransport.attach(segment, id, config);
    })
    .register("ws", webSocket)
    .register("wss", webSocket);
}
