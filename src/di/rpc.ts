import type { DependencyContainer, InjectionToken } from "tsyringe";
import { instanceCachingFactory } from "tsyringe";
import { createClient, type Client, type RpcClientOptions } from "../rpc/client.js";
import type { ServiceDefinition } from "../rpc/definitions.js";
import { RpcServer, type RpcServerOptions } from "../rpc/server.js";
import type { Transport } from "../transport/transport.js";
import { createDemux } from "../demux/demux.js";
import { DEMUX, RPC_SERVER, TRANSPORT } from "./tokens.js";

/**
 * Registers `transport` as the container's `TRANSPORT`, a demux reading it as `DEMUX` and an
 * `RpcServer` on that as `RPC_SERVER` (each built once, on first resolve). Swapping the
 * transport (in-process in tests, WebSocket in production) is this one call.
 */
export function registerTransport(container: DependencyContainer, transport: Transport, serverOptions?: RpcServerOptions): DependencyContainer {
  container.register(TRANSPORT, { useValue: transport });
  container.register(DEMUX, { useFactory: instanceCachingFactory((c) => createDemux(c.resolve(TRANSPORT))) });
  container.register(RPC_SERVER, { useFactory: instanceCachingFactory((c) => new RpcServer(c.resolve(DEMUX), serverOptions)) });
  return container;
}

/** Registers, under `token`, a typed client of `definition` through the container's `DEMUX` (built once, on first resolve). */
export function registerClient<S extends ServiceDefinition>(
  container: DependencyContainer,
  token: InjectionToken<Client<S>>,
  definition: S,
  options: RpcClientOptions,
): DependencyContainer {
  container.register(token, { useFactory: instanceCachingFactory((c) => createClient(definition, c.resolve(DEMUX), options)) });
  return container;
}
