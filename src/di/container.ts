import "reflect-metadata";
import { container as rootContainer, inject, injectable, instanceCachingFactory, type DependencyContainer } from "tsyringe";
import { resolveConfig, type TransportConfig } from "../transport/config.js";
import type { Transport } from "../transport/transport.js";
import { TransportRegistry, type TransportBuildOptions } from "../transport/transport-registry.js";
import { InProcessNetwork } from "../transports/in-process/in-process-network.js";
import { IN_PROCESS_NETWORK, TRANSPORT_CONFIG, TRANSPORT_REGISTRY } from "./tokens.js";

/** Options for `registerSwarmTransport`. */
export interface SwarmTransportModuleOptions {
  /** Config for every transport created through the container. */
  config?: Partial<TransportConfig>;
}

/**
 * Registers the config, a shared `InProcessNetwork` and a `TransportRegistry` (with the
 * "in-process" transport) in `container` (default: tsyringe's root container), each as a
 * singleton of that container. Returns the container.
 */
export function registerSwarmTransport(
  options: SwarmTransportModuleOptions = {},
  container: DependencyContainer = rootContainer,
): DependencyContainer {
  const config = resolveConfig(options.config);
  container.register(TRANSPORT_CONFIG, { useValue: config });
  container.register(IN_PROCESS_NETWORK, { useFactory: instanceCachingFactory(() => new InProcessNetwork()) });
  container.register(TRANSPORT_REGISTRY, {
    useFactory: instanceCachingFactory((c) => {
      const network = c.resolve(IN_PROCESS_NETWORK);
      return new TransportRegistry(c.resolve(TRANSPORT_CONFIG)).register("in-process", (build: TransportBuildOptions) =>
        network.connect(build.address, build.config),
      );
    }),
  });
  return container;
}

/**
 * Creates transports by kind name from the container's registry: inject it where a component
 * needs "a transport of the configured kind" without knowing which.
 */
@injectable()
export class TransportFactory {
  constructor(@inject(TRANSPORT_REGISTRY) private readonly registry: TransportRegistry) {}

  /** A transport of kind `kind` at `address`; rejects with `NotAvailable` for an unknown kind. */
  create(kind: string, address: string, config?: Partial<TransportConfig>): Promise<Transport> {
    return this.registry.create(kind, config === undefined ? { address } : { address, config });
  }
}
