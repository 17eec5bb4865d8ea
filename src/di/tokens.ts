import type { InjectionToken } from "tsyringe";
import type { Demux } from "../demux/demux.js";
import type { RpcServer } from "../rpc/server.js";
import type { TransportConfig } from "../transport/config.js";
import type { Transport } from "../transport/transport.js";
import type { TransportRegistry } from "../transport/transport-registry.js";
import type { InProcessNetwork } from "../transports/in-process/in-process-network.js";

/** The resolved `TransportConfig` every transport built from the container uses. */
export const TRANSPORT_CONFIG: InjectionToken<Readonly<TransportConfig>> = Symbol.for("swarm-transport.TransportConfig");
/** The `TransportRegistry` with every available transport registered. */
export const TRANSPORT_REGISTRY: InjectionToken<TransportRegistry> = Symbol.for("swarm-transport.TransportRegistry");
/** The container's shared `InProcessNetwork`. */
export const IN_PROCESS_NETWORK: InjectionToken<InProcessNetwork> = Symbol.for("swarm-transport.InProcessNetwork");
/** The transport a component talks over; RPC servers and clients built by the container use it. */
export const TRANSPORT: InjectionToken<Transport> = Symbol.for("swarm-transport.Transport");
/** The demultiplexer reading `TRANSPORT` (one per container): RPC servers, clients and pub/sub share it. */
export const DEMUX: InjectionToken<Demux> = Symbol.for("swarm-transport.Demux");
/** The RPC server on `DEMUX` (one per container). */
export const RPC_SERVER: InjectionToken<RpcServer> = Symbol.for("swarm-transport.RpcServer");
