/**
 * What the gateway knows of a method: its wire path, its call kind, and how to turn
 * proto3 JSON into request bytes and response bytes into proto3 JSON. Built from `.proto`
 * files (src/schema: the exact proto3 JSON mapping, the same the CLI uses) or, for methods no
 * `.proto` describes, from ts-proto generic definitions, which carry no descriptor: their JSON
 * is what their generated `fromJSON`/`toJSON` make of it. Binary (`application/proto`) calls
 * need no schema at all.
 */
import { join, resolve } from "node:path";
import { PACKAGE_PROTO_DIR as PROTO_DIR } from "../node/package-proto.js";
import type protobuf from "protobufjs";
import { callKind, methodInfos, type CallKind, type ServiceDefinition } from "../rpc/definitions.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import { createJsonCodec, listMethods, SchemaError, type SchemaMethod } from "../schema/index.js";
import { fileDescriptorSet } from "../schema/descriptors.js";
import { loadProtoFiles } from "../schema/load-proto-files.js";

/** One method as the gateway sees it. */
export interface GatewayMethod {
  /** "/package.Service/Method" */
  readonly path: string;
  readonly kind: CallKind;
  /** proto3 JSON of the request → its protobuf bytes; throws INVALID_ARGUMENT. */
  requestFromJson(json: unknown): Uint8Array;
  /** protobuf bytes of the response → proto3 JSON; throws INTERNAL. */
  responseToJson(bytes: Uint8Array): unknown;
}

/** What the edge knows from schemas: methods by wire path, and the files for server reflection. */
export interface GatewaySchemas {
  readonly methods: Map<string, GatewayMethod>;
  /** Serialized google.protobuf.FileDescriptorSets: gRPC's health and reflection, then the `.proto` files loaded. */
  readonly descriptorSets: Uint8Array[];
}

/**
 * Methods by wire path, from every source given, plus gRPC's own health and reflection services
 * (the hub serves them). A method both a `.proto` and a definition describe takes its JSON
 * mapping from the `.proto`, the exact one.
 */
export async function loadGatewaySchemas(protoFiles: readonly string[], importPaths: readonly string[], services: readonly ServiceDefinition[]): Promise<GatewaySchemas> {
  const methods = new Map<string, GatewayMethod>();
  const builtin = await loadProtoFiles(BUILTIN_FILES, [PROTO_DIR]);
  for (const method of protobufMethods(builtin)) methods.set(method.path, method);
  const descriptorSets = [fileDescriptorSet(builtin, [PROTO_DIR])];
  for (const service of services) for (const method of definitionMethods(service)) methods.set(method.path, method);
  if (protoFiles.length > 0) {
    const root = await loadProtoFiles(protoFiles, importPaths);
    for (const method of protobufMethods(root)) methods.set(method.path, method);
    descriptorSets.push(fileDescriptorSet(root, importPaths.map((p) => resolve(p))));
  }
  return { methods, descriptorSets };
}

/** gRPC's health and reflection protos, vendored in proto/grpc. */
const BUILTIN_FILES = ["grpc/health/v1/health.proto", "grpc/reflection/v1/reflection.proto", "grpc/reflection/v1alpha/reflection.proto"].map((file) => join(PROTO_DIR, file));

/** Every method of every service in a resolved protobufjs root. */
export function protobufMethods(root: protobuf.Root): GatewayMethod[] {
  return listMethods(root).map(schemaMethod);
}

function schemaMethod(method: SchemaMethod): GatewayMethod {
  const request = createJsonCodec(method.requestType);
  const response = createJsonCodec(method.responseType);
  return {
    path: method.path,
    kind: method.requestStream ? (method.responseStream ? "bidi-streaming" : "client-streaming") : method.responseStream ? "server-streaming" : "unary",
    requestFromJson(json) {
      try {
        return request.fromJson(json);
      } catch (error) {
        if (error instanceof SchemaError) throw new RpcError(Status.INVALID_ARGUMENT, error.message, { cause: error });
        throw error;
      }
    },
    responseToJson(bytes) {
      try {
        return response.toJson(bytes);
      } catch (error) {
        throw new RpcError(Status.INTERNAL, `the agent's response cannot be written as proto3 JSON: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}

/**
 * Every method of a ts-proto generic definition. Its JSON goes through the generated
 * `fromJSON`/`toJSON` (ts-proto `outputJsonMethods`), checked only as far as that code and its
 * binary writer check: a request must be a JSON object, and values the writer refuses
 * (a uint32 of -1 or "abc") are INVALID_ARGUMENT, but unknown keys are ignored. For the exact
 * proto3 JSON mapping, give the gateway the `.proto` as well.
 */
export function definitionMethods(service: ServiceDefinition): GatewayMethod[] {
  return [...methodInfos(service).values()].map((info) => {
    const { requestType, responseType } = info;
    return {
      path: info.path,
      kind: callKind(service.methods[info.localName]!),
      requestFromJson(json) {
        if (requestType.fromJSON === undefined) throw new RpcError(Status.UNIMPLEMENTED, `${info.path}: its request type has no JSON mapping (ts-proto outputJsonMethods)`);
        if (typeof json !== "object" || json === null || Array.isArray(json)) {
          throw new RpcError(Status.INVALID_ARGUMENT, `invalid JSON request for ${info.name}: expected a JSON object, got ${JSON.stringify(json)}`);
        }
        try {
          return requestType.encode(requestType.fromJSON(json)).finish();
        } catch (error) {
          throw new RpcError(Status.INVALID_ARGUMENT, `invalid JSON request for ${info.name}: ${(error as Error).message}`, { cause: error });
        }
      },
      responseToJson(bytes) {
        if (responseType.toJSON === undefined) throw new RpcError(Status.UNIMPLEMENTED, `${info.path}: its response type has no JSON mapping (ts-proto outputJsonMethods)`);
        try {
          return responseType.toJSON(responseType.decode(bytes));
        } catch (error) {
          throw new RpcError(Status.INTERNAL, `the agent's response is not a valid ${info.name}: ${(error as Error).message}`, { cause: error });
        }
      },
    };
  });
}
