/** The services and methods of a loaded schema, found by the names users write. */
import protobuf from "protobufjs";
import { SchemaError } from "./schema-error.js";

/** A method found in a loaded schema. */
export interface SchemaMethod {
  /** "/package.Service/Method", the method's path on the wire. */
  readonly path: string;
  readonly requestType: protobuf.Type;
  readonly responseType: protobuf.Type;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/**
 * Finds a method by "package.Service/Method", "/package.Service/Method" or
 * "package.Service.Method". Throws a SchemaError that lists what there is when the service or
 * method is unknown.
 */
export function findMethod(root: protobuf.Root, name: string): SchemaMethod {
  const trimmed = name.replace(/^\//, "");
  const slash = trimmed.lastIndexOf("/");
  const cut = slash >= 0 ? slash : trimmed.lastIndexOf(".");
  if (cut <= 0) throw new SchemaError(`method ${JSON.stringify(name)} is not of the form package.Service/Method`);
  const serviceName = trimmed.slice(0, cut);
  const methodName = trimmed.slice(cut + 1);
  let service: protobuf.Service;
  try {
    service = root.lookupService(serviceName);
  } catch {
    throw new SchemaError(`unknown service ${serviceName}; the schema has: ${listServices(root).join(", ") || "no services"}`);
  }
  const method = service.methods[methodName];
  if (method === undefined) {
    throw new SchemaError(`unknown method ${methodName} of ${serviceName}; it has: ${Object.keys(service.methods).join(", ")}`);
  }
  return schemaMethod(service, method);
}

/** Every service's full name ("package.Service"). */
export function listServices(root: protobuf.Root): string[] {
  return services(root).map((service) => service.fullName.slice(1));
}

/** Every method of every service. */
export function listMethods(root: protobuf.Root): SchemaMethod[] {
  return services(root).flatMap((service) => service.methodsArray.map((method) => schemaMethod(service, method)));
}

function schemaMethod(service: protobuf.Service, method: protobuf.Method): SchemaMethod {
  method.resolve();
  return {
    path: `/${service.fullName.slice(1)}/${method.name}`,
    requestType: method.resolvedRequestType!,
    responseType: method.resolvedResponseType!,
    requestStream: method.requestStream === true,
    responseStream: method.responseStream === true,
  };
}

function services(namespace: protobuf.NamespaceBase): protobuf.Service[] {
  const found: protobuf.Service[] = [];
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobuf.Service) found.push(nested);
    else if (nested instanceof protobuf.Namespace) found.push(...services(nested));
  }
  return found;
}
