import type { InjectionToken } from "tsyringe";
import type { TransportConfig } from "../transport/config.js";
import type { TransportRegistry } from "../transport/transport-registry.js";
import type { InProcessNetwork } from "../transports/in-process/in-process-network.js";

/** The resolved `TransportConfig` every transport built from the container uses. */
export const TRANSPORT_CONFIG: InjectionToken<Readonly<TransportConfig>> = Symbol.for("swarm-transport.TransportConfig");
/** The `TransportRegistry` with every available transport registered. */
export const TRANSPORT_REGISTRY: InjectionToken<TransportRegistry> = Symbol.for("swarm-transport.TransportRegistry");
/** The container's shared `InProcessNetwork`. */
export const IN_PROCESS_NETWORK: InjectionToken<InProcessNetwork> = Symbol.for("swarm-transport.InProcessNetwork");
