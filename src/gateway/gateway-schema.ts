/**
 * What the gateway knows of a method: its wire path, whether it is unary, and how to turn
 * proto3 JSON into request bytes and response bytes into proto3 JSON. Built from `.proto`
 * files (protobufjs, loaded at start) or from ts-proto generic definitions; binary
 * (`application/proto`) calls need no schema at all.
 */
import protobuf from "protobufjs";
import { loadSchema } from "../cli/schema.js";
import { callKind, methodInfos, type ServiceDefinition } from "../rpc/definitions.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";

/** One method as the gateway sees it. */
export interface GatewayMethod {
  /** "/package.Service/Method" */
  readonly path: string;
  readonly unary: boolean;
  /** proto3 JSON of the request → its protobuf bytes; throws INVALID_ARGUMENT. */
  requestFromJson(json: unknown): Uint8Array;
  /** protobuf bytes of the response → proto3 JSON; throws INTERNAL. */
  responseToJson(bytes: Uint8Array): unknown;
}

/** Methods by wire path, from every source given. */
export async function loadGatewayMethods(protoFiles: readonly string[], importPaths: readonly string[], services: readonly ServiceDefinition[]): Promise<Map<string, GatewayMethod>> {
  const methods = new Map<string, GatewayMethod>();
  if (protoFiles.length > 0) for (const method of protobufMethods(await loadSchema(protoFiles, importPaths))) methods.set(method.path, method);
  for (const service of services) for (const method of definitionMethods(service)) methods.set(method.path, method);
  return methods;
}

/** Every method of every service in a protobufjs root. */
export function protobufMethods(root: protobuf.Root): GatewayMethod[] {
  const methods: GatewayMethod[] = [];
  const visit = (namespace: protobuf.NamespaceBase): void => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Service) {
        for (const method of nested.methodsArray) {
          method.resolve();
          methods.push(protobufMethod(`/${nested.fullName.slice(1)}/${method.name}`, method));
        }
      } else if (nested instanceof protobuf.Namespace) {
        visit(nested);
      }
    }
  };
  visit(root);
  return methods;
}

function protobufMethod(path: string, method: protobuf.Method): GatewayMethod {
  const requestType = method.resolvedRequestType!;
  const responseType = method.resolvedResponseType!;
  return {
    path,
    unary: method.requestStream !== true && method.responseStream !== true,
    requestFromJson(json) {
      return decoding(requestType.name, () => {
        return requestType.encode(requestType.fromObject(normalize(requestType, json))).finish();
      });
    },
    responseToJson(bytes) {
      return encoding(responseType.name, () => responseType.toObject(responseType.decode(bytes), protobuf.util.toJSONOptions));
    },
  };
}

/**
 * The JSON object with each key as protobufjs names the field (lowerCamelCase; proto3 JSON
 * also allows the proto name, e.g. "delay_ms"), nested messages too. protobufjs'
 * `fromObject` ignores unknown keys; a proto3 JSON parser rejects them, and so does this.
 */
function normalize(type: protobuf.Type, json: unknown): Record<string, unknown> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new TypeError(`${type.name} must be a JSON object, got ${JSON.stringify(json)}`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const field = type.fields[key] ?? type.fields[protobuf.util.camelCase(key)];
    if (field === undefined) throw new TypeError(`${type.name} has no field "${key}"`);
    const nested = field.resolve().resolvedType;
    if (nested instanceof protobuf.Type && value !== null && !field.map && !nested.fullName.startsWith(".google.protobuf.")) {
      out[field.name] = field.repeated && Array.isArray(value) ? value.map((item) => normalize(nested, item)) : field.repeated ? value : normalize(nested, value);
    } else {
      out[field.name] = value;
    }
  }
  return out;
}

/** Every method of a ts-proto generic definition (its generated `fromJSON`/`toJSON` needed for JSON). */
export function definitionMethods(service: ServiceDefinition): GatewayMethod[] {
  return [...methodInfos(service).values()].map((info) => {
    const { requestType, responseType } = info;
    return {
      path: info.path,
      unary: callKind(service.methods[info.localName]!) === "unary",
      requestFromJson(json) {
        if (requestType.fromJSON === undefined) throw new RpcError(Status.UNIMPLEMENTED, `${info.path}: its request type has no JSON mapping (ts-proto outputJsonMethods)`);
        return decoding(info.name, () => requestType.encode(requestType.fromJSON!(json)).finish());
      },
      responseToJson(bytes) {
        if (responseType.toJSON === undefined) throw new RpcError(Status.UNIMPLEMENTED, `${info.path}: its response type has no JSON mapping (ts-proto outputJsonMethods)`);
        return encoding(info.name, () => responseType.toJSON!(responseType.decode(bytes)));
      },
    };
  });
}

function decoding(what: string, run: () => Uint8Array): Uint8Array {
  try {
    return run();
  } catch (error) {
    if (error instanceof RpcError) throw error;
    throw new RpcError(Status.INVALID_ARGUMENT, `invalid JSON request for ${what}: ${(error as Error).message}`, { cause: error });
  }
}

function encoding(what: string, run: () => unknown): unknown {
  try {
    return run();
  } catch (error) {
    throw new RpcError(Status.INTERNAL, `the agent's response is not a valid ${what}: ${(error as Error).message}`, { cause: error });
  }
}
