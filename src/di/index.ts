// Dependency-injection entry (tsyringe). Everything here is optional sugar over constructors.
export { registerSwarmTransport, TransportFactory, type SwarmTransportModuleOptions } from "./container.js";
export { registerClient, registerTransport } from "./rpc.js";
export { DEMUX, IN_PROCESS_NETWORK, RPC_SERVER, TRANSPORT, TRANSPORT_CONFIG, TRANSPORT_REGISTRY } from "./tokens.js";
