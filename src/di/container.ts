import "reflect-metadata";
import { container as rootContainer, instanceCachingFactory, type DependencyContainer } from "tsyringe";
import { resolveConfig, type TransportConfig } from "../transport/config.js";
import type { Transport } from "../transport/transport.js";
import type { TransportRegistry } from "../transport/transport-registry.js";
import { createTransportRegistry, type TransportRegistryOptions } from "../transports/default-registry.js";
import { InProcessNetwork } from "../transports/in-process/in-process-network.js";
import { IN_PROCESS_NETWORK, TRANSPORT_CONFIG, TRANSPORT_REGISTRY } from "./tokens.js";

/** Options for `registerSwarmTransport`. */
export interface SwarmTransportModuleOptions {
  /** Config for every transport created through the container. */
  config?: Partial<TransportConfig>;
  /**
   * Makes the registry of transport kinds (one per URL scheme). Default `createTransportRegistry`
   * (in-process, shared memory, WebSocket through the global WebSocket); in Node pass
   * `createNodeTransportRegistry` from `swarm-transport/node`.
   */
  createRegistry?: (options: TransportRegistryOptions) => TransportRegistry;
}

/**
 * Registers the config, a shared `InProcessNetwork` (`inproc://default`) and a
 * `TransportRegistry` knowing every transport kind in `container` (default: tsyringe's root
 * container), each as a singleton of that container, plus `TransportFactory`. Returns the container.
 */
export function registerSwarmTransport(options: SwarmTransportModuleOptions = {}, container: DependencyContainer = rootContainer): DependencyContainer {
  const config = resolveConfig(options.config);
  const createRegistry = options.createRegistry ?? createTransportRegistry;
  container.register(TRANSPORT_CONFIG, { useValue: config });
  container.register(IN_PROCESS_NETWORK, { useFactory: instanceCachingFactory(() => new InProcessNetwork()) });
  container.register(TRANSPORT_REGISTRY, { useFactory: instanceCachingFactory((c) => createRegistry({ config: c.resolve(TRANSPORT_CONFIG), networks: new Map([["default", c.resolve(IN_PROCESS_NETWORK)]]) })) });
  container.register(TransportFactory, { useFactory: instanceCachingFactory((c) => new TransportFactory(c.resolve(TRANSPORT_REGISTRY))) });
  return container;
}

/**
 * Opens transports by URL from the container's registry: inject it where a component needs
 * "a transport to wherever the configuration says" without knowing which kind.
 */
export class TransportFactory {
  readonly #registry: TransportRegistry;

  constructor(registry: TransportRegistry) {
    this.#registry = registry;
  }

  /** An endpoint `id` at `url` (`inproc://…`, `ws://…`, `shm://…`, …); rejects with `NotAvailable` for an unknown scheme. */
  connect(url: string, id: string, options: { config?: Partial<TransportConfig> & Record<string, unknown>; token?: string } = {}): Promise<Transport> {
    return this.#registry.connect(url, { id, ...options });
  }
}
