/**
 * The same service over @grpc/grpc-js (HTTP/2 on 127.0.0.1), built from the same ts-proto
 * generic definition: the peer the RPC benchmarks compare with.
 */
import * as grpc from "@grpc/grpc-js";
import { methodPath, type MessageType } from "../src/protocol.js";
import { type ServiceDefinition } from "../src/index.js";

function serializer<T>(type: MessageType<T>) {
  return (message: T) => Buffer.from(type.encode(message).finish());
}

/** A grpc-js service definition from a ts-proto generic definition. */
export function grpcServiceOf(definition: ServiceDefinition): grpc.ServiceDefinition {
  const service: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [key, method] of Object.entries(definition.methods)) {
    service[key] = {
      path: methodPath(definition, method),
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      requestSerialize: serializer(method.requestType),
      requestDeserialize: (bytes: Buffer) => method.requestType.decode(bytes),
      responseSerialize: serializer(method.responseType),
      responseDeserialize: (bytes: Buffer) => method.responseType.decode(bytes),
      originalName: method.name,
    };
  }
  return service;
}

export interface GrpcPeer {
  client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  close(): Promise<void>;
}

/** Starts a grpc-js server for `definition` with `handlers` and a client connected to it. */
export async function startGrpcPeer(definition: ServiceDefinition, handlers: grpc.UntypedServiceImplementation): Promise<GrpcPeer> {
  const service = grpcServiceOf(definition);
  const server = new grpc.Server();
  server.addService(service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const Client = grpc.makeGenericClientConstructor(service, definition.name);
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as GrpcPeer["client"];
  await new Promise<void>((resolve, reject) => client.waitForReady(Date.now() + 5000, (error) => (error ? reject(error) : resolve())));
  return {
    client,
    close: () =>
      new Promise<void>((resolve) => {
        client.close();
        server.tryShutdown(() => resolve());
      }),
  };
}
