/**
 * Schemas loaded at run time from `.proto` files (protobufjs), for the CLI's grpcurl-style
 * calls: proto3 JSON in, protobuf bytes on the wire, proto3 JSON out.
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import protobuf from "protobufjs";
import type { MessageType, ServiceDefinition } from "../rpc/definitions.js";

/** A method found in loaded schemas. */
export interface SchemaMethod {
  /** "/package.Service/Method" */
  readonly path: string;
  readonly requestType: protobuf.Type;
  readonly responseType: protobuf.Type;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/** Thrown for a schema or JSON problem; the CLI prints `message` as one line. */
export class SchemaError extends Error {
  override readonly name = "SchemaError";
}

/** Loads `files`, resolving imports against each file's folder and `importPaths`. */
export async function loadSchema(files: readonly string[], importPaths: readonly string[] = []): Promise<protobuf.Root> {
  if (files.length === 0) throw new SchemaError("no .proto file given (--proto FILE)");
  const root = new protobuf.Root();
  const searchDirs = [...importPaths.map((p) => resolve(p)), ...files.map((f) => dirname(resolve(f)))];
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target) && existsSync(target)) return target;
    for (const dir of [origin === "" ? undefined : dirname(origin), ...searchDirs]) {
      if (dir === undefined) continue;
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target; // protobufjs' bundled google/protobuf/*.proto, or a clear "no such file" error
  };
  try {
    await root.load(files.map((f) => resolve(f)), { keepCase: false });
    root.resolveAll();
  } catch (error) {
    throw new SchemaError(`cannot load ${files.join(", ")}: ${(error as Error).message}`);
  }
  return root;
}

/**
 * Finds a method by "package.Service/Method", "/package.Service/Method" or
 * "package.Service.Method". Throws a SchemaError that names the service's methods when the
 * method is unknown.
 */
export function findMethod(root: protobuf.Root, name: string): SchemaMethod {
  const trimmed = name.replace(/^\//, "");
  const slash = trimmed.lastIndexOf("/");
  const dot = trimmed.lastIndexOf(".");
  const cut = slash >= 0 ? slash : dot;
  if (cut <= 0) throw new SchemaError(`method ${JSON.stringify(name)} is not of the form package.Service/Method`);
  const serviceName = trimmed.slice(0, cut);
  const methodName = trimmed.slice(cut + 1);
  let service: protobuf.Service;
  try {
    service = root.lookupService(serviceName);
  } catch {
    const services = listServices(root);
    throw new SchemaError(`unknown service ${serviceName}; the schema has: ${services.join(", ") || "no services"}`);
  }
  const method = service.methods[methodName];
  if (method === undefined) {
    throw new SchemaError(`unknown method ${methodName} of ${serviceName}; it has: ${Object.keys(service.methods).join(", ")}`);
  }
  method.resolve();
  return {
    path: `/${service.fullName.replace(/^\./, "")}/${method.name}`,
    requestType: method.resolvedRequestType!,
    responseType: method.resolvedResponseType!,
    requestStream: method.requestStream === true,
    responseStream: method.responseStream === true,
  };
}

/** Every service's full name. */
export function listServices(root: protobuf.Root): string[] {
  const names: string[] = [];
  const visit = (namespace: protobuf.NamespaceBase) => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Service) names.push(nested.fullName.replace(/^\./, ""));
      else if (nested instanceof protobuf.Namespace) visit(nested);
    }
  };
  visit(root);
  return names;
}

/**
 * A one-method service definition of the shape ts-proto generates, backed by protobufjs types:
 * lets the typed RPC client call a method known only from .proto files (streams included).
 * Its request type takes what `fromJson` returns.
 */
export function definitionOf(method: SchemaMethod): ServiceDefinition {
  const slash = method.path.lastIndexOf("/");
  const fullName = method.path.slice(1, slash);
  const name = method.path.slice(slash + 1);
  const codec = (type: protobuf.Type): MessageType<unknown> => ({
    encode: (message) => type.encode(message as protobuf.Message) as unknown as ReturnType<MessageType<unknown>["encode"]>,
    decode: (bytes) => type.decode(bytes),
  });
  return {
    name: fullName.slice(fullName.lastIndexOf(".") + 1),
    fullName,
    methods: {
      call: {
        name,
        requestType: codec(method.requestType),
        requestStream: method.requestStream,
        responseType: codec(method.responseType),
        responseStream: method.responseStream,
      },
    },
  };
}

/** proto3 JSON → a protobufjs message of `type` (for `definitionOf`'s client). */
export function fromJson(type: protobuf.Type, json: unknown): protobuf.Message {
  return type.decode(encodeJson(type, json));
}

/** A message `definitionOf`'s client received → proto3 JSON. */
export function messageToJson(type: protobuf.Type, message: unknown): unknown {
  return type.toObject(message as protobuf.Message, { longs: String, enums: String, bytes: String, defaults: true, json: true });
}

/** proto3 JSON → protobuf bytes of `type`. Unknown fields and wrong types are SchemaErrors. */
export function encodeJson(type: protobuf.Type, json: unknown): Uint8Array {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new SchemaError(`${type.name} must be a JSON object, got ${JSON.stringify(json)}`);
  }
  for (const key of Object.keys(json)) {
    if (type.fields[key] === undefined && !Object.values(type.fields).some((f) => f.name === key || protobuf.util.camelCase(f.name) === key)) {
      throw new SchemaError(`${type.name} has no field ${JSON.stringify(key)}; its fields: ${Object.keys(type.fields).join(", ")}`);
    }
  }
  const normalized = longsFromStrings(type, json as Record<string, unknown>);
  const problem = type.verify(normalized);
  if (problem !== null) throw new SchemaError(`invalid ${type.name}: ${problem}`);
  return type.encode(type.fromObject(normalized)).finish();
}

/** The `long` package's constructor, as protobufjs bundles it. */
interface LongStatic {
  fromString(text: string, unsigned?: boolean): unknown;
}

const LONG_TYPES = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);

/**
 * proto3 JSON writes 64-bit integers as decimal strings, which protobufjs' verify refuses:
 * turn them into Longs first (recursively through message fields), leaving anything else alone.
 */
function longsFromStrings(type: protobuf.Type, object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...object };
  for (const field of type.fieldsArray) {
    const key = field.name in out ? field.name : protobuf.util.camelCase(field.name) in out ? protobuf.util.camelCase(field.name) : undefined;
    if (key === undefined) continue;
    const convert = (value: unknown): unknown => {
      if (LONG_TYPES.has(field.type) && typeof value === "string" && /^-?\d+$/.test(value)) {
        return (protobuf.util.Long as unknown as LongStatic).fromString(value, field.type === "uint64" || field.type === "fixed64");
      }
      if (field.resolvedType instanceof protobuf.Type && typeof value === "object" && value !== null && !Array.isArray(value)) {
        return longsFromStrings(field.resolvedType, value as Record<string, unknown>);
      }
      return value;
    };
    const value = out[key];
    out[key] = field.repeated && Array.isArray(value) ? value.map(convert) : convert(value);
  }
  return out;
}

/** protobuf bytes of `type` → proto3 JSON (64-bit integers as strings, bytes as base64, defaults included). */
export function decodeToJson(type: protobuf.Type, bytes: Uint8Array): unknown {
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (error) {
    throw new SchemaError(`response is not a valid ${type.name}: ${(error as Error).message}`);
  }
  return messageToJson(type, message);
}
