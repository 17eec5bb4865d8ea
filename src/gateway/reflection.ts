/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha, the same messages under two names)
 * served by the hub itself: `list` names every service the hub knows (from the schemas it
 * loaded, from agents' announcements, and its own health and reflection); files are answered
 * from the loaded schemas and the descriptor sets agents announced, so `grpcurl -plaintext
 * host:port list` / `describe` work without .proto files.
 * https://github.com/grpc/grpc/blob/master/doc/server-reflection.md
 */
import {
  ServerReflectionDefinition as V1Definition,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from "../../generated/grpc/reflection/v1/reflection.js";
import { ServerReflectionDefinition as V1AlphaDefinition } from "../../generated/grpc/reflection/v1alpha/reflection.js";
import type { RpcServer } from "../rpc/server.js";
import { Status } from "../status/status.js";
import type { DescriptorPool } from "./descriptor-pool.js";

/** Where reflection reads the hub's knowledge, asked afresh for each request. */
export interface ReflectionSource {
  /** The files (rebuilt by the caller when agents announce new descriptor sets). */
  pool(): DescriptorPool;
  /** Services known beyond the pool's files (announced without descriptors). */
  announcedServices(): readonly string[];
}

/** Adds grpc.reflection.v1 and v1alpha ServerReflection to `server`. */
export function addReflection(server: RpcServer, source: ReflectionSource): void {
  const serverReflectionInfo = async function* (requests: AsyncIterable<ServerReflectionRequest>): AsyncIterable<ServerReflectionResponse> {
    for await (const request of requests) yield answer(request, source);
  };
  server.add(V1Definition, { serverReflectionInfo });
  server.add(V1AlphaDefinition, { serverReflectionInfo } as never);
}

function answer(request: ServerReflectionRequest, source: ReflectionSource): ServerReflectionResponse {
  const base = { validHost: request.host, originalRequest: request };
  const asked = request.messageRequest;
  const pool = source.pool();
  switch (asked?.$case) {
    case "listServices": {
      const names = new Set([...pool.services(), ...source.announcedServices()]);
      return { ...base, messageResponse: { $case: "listServicesResponse", value: { service: [...names].sort().map((name) => ({ name })) } } };
    }
    case "fileByFilename":
      return files(base, pool.fileByName(asked.value), `file ${JSON.stringify(asked.value)}`);
    case "fileContainingSymbol":
      return files(base, pool.fileContainingSymbol(asked.value), `symbol ${JSON.stringify(asked.value)}`);
    case "allExtensionNumbersOfType":
      if (pool.has(asked.value)) return { ...base, messageResponse: { $case: "allExtensionNumbersResponse", value: { baseTypeName: asked.value, extensionNumber: [] } } };
      return notFound(base, `type ${JSON.stringify(asked.value)}`);
    case "fileContainingExtension":
      return notFound(base, `extension ${asked.value.extensionNumber} of ${JSON.stringify(asked.value.containingType)}`);
    default:
      return { ...base, messageResponse: { $case: "errorResponse", value: { errorCode: Status.INVALID_ARGUMENT, errorMessage: "the request names nothing to look up" } } };
  }
}

function files(base: Pick<ServerReflectionResponse, "validHost" | "originalRequest">, found: Uint8Array[] | undefined, what: string): ServerReflectionResponse {
  if (found === undefined) return notFound(base, what);
  return { ...base, messageResponse: { $case: "fileDescriptorResponse", value: { fileDescriptorProto: found } } };
}

function notFound(base: Pick<ServerReflectionResponse, "validHost" | "originalRequest">, what: string): ServerReflectionResponse {
  return { ...base, messageResponse: { $case: "errorResponse", value: { errorCode: Status.NOT_FOUND, errorMessage: `${what} is not known to this hub` } } };
}
