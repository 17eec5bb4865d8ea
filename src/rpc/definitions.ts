/**
 * The structural shape of ts-proto's generated codecs (`outputServices=generic-definitions`):
 * the RPC layer depends on this, never on particular generated files.
 */
export interface MessageType<T> {
  /**
   * Encodes into `writer` (a `BinaryWriter` of `@bufbuild/protobuf/wire`, reused by the RPC
   * layer) and returns it. Both are typed structurally, not as that class: its private members
   * would make code generated against another copy of `@bufbuild/protobuf` (an application's
   * own) incompatible with these types.
   */
  encode(message: T, writer?: unknown): { finish(): Uint8Array };
  decode(input: Uint8Array, length?: number): T;
  /** Present when generated with JSON methods; lets JSON requests reach typed handlers. */
  fromJSON?(object: unknown): T;
  toJSON?(message: T): unknown;
}

/** One method of a ts-proto generic service definition. */
export interface MethodDefinition<Req = any, Res = any, ReqStream extends boolean = boolean, ResStream extends boolean = boolean> {
  readonly name: string;
  readonly requestType: MessageType<Req>;
  readonly requestStream: ReqStream;
  readonly responseType: MessageType<Res>;
  readonly responseStream: ResStream;
  readonly options?: unknown;
}

/** A ts-proto generic service definition, e.g. the generated `ComputeServiceDefinition`. */
export interface ServiceDefinition {
  readonly name: string;
  /** Fully-qualified name, e.g. "swarm.examples.v1.ComputeService". */
  readonly fullName: string;
  readonly methods: { readonly [key: string]: MethodDefinition };
}

/** unary · server-streaming · client-streaming · bidi-streaming */
export type CallKind = "unary" | "server-streaming" | "client-streaming" | "bidi-streaming";

/** A method as the runtime sees it. */
export interface MethodInfo {
  /** "/swarm.examples.v1.ComputeService/Fibonacci": the Request's `method` on the wire. */
  readonly path: string;
  readonly service: string;
  /** The generated definition's key, e.g. "fibonacci". */
  readonly localName: string;
  /** The proto name, e.g. "Fibonacci". */
  readonly name: string;
  readonly kind: CallKind;
  readonly requestType: MessageType<unknown>;
  readonly responseType: MessageType<unknown>;
}

/**
 * The message type of untyped (seed-style) methods: their payloads stay JSON values (or
 * bytes) and are never encoded by a codec.
 * @internal
 */
export const UNTYPED: MessageType<unknown> = Object.freeze({
  encode(): never {
    throw new TypeError("untyped methods carry JSON, not protobuf messages");
  },
  decode(): never {
    throw new TypeError("untyped methods carry JSON, not protobuf messages");
  },
});

/** The wire path of a method: "/" + service full name + "/" + method name. */
export function methodPath(service: ServiceDefinition, method: MethodDefinition): string {
  return `/${service.fullName}/${method.name}`;
}

/** The call kind from the two stream flags. */
export function callKind(method: MethodDefinition): CallKind {
  if (method.requestStream) return method.responseStream ? "bidi-streaming" : "client-streaming";
  return method.responseStream ? "server-streaming" : "unary";
}

/** Every method of `service`, keyed by its definition key. */
export function methodInfos(service: ServiceDefinition): Map<string, MethodInfo> {
  const infos = new Map<string, MethodInfo>();
  for (const [localName, method] of Object.entries(service.methods)) {
    infos.set(localName, {
      path: methodPath(service, method),
      service: service.fullName,
      localName,
      name: method.name,
      kind: callKind(method),
      requestType: method.requestType,
      responseType: method.responseType,
    });
  }
  return infos;
}

type RequestOf<M> = M extends MethodDefinition<infer Req, any, any, any> ? Req : never;
type ResponseOf<M> = M extends MethodDefinition<any, infer Res, any, any> ? Res : never;

export type { RequestOf, ResponseOf };
