import type { Data } from "../../generated/swarm/transport/v1/data.js";
import type { Request } from "../../generated/swarm/transport/v1/envelope.js";
import type { Demux } from "../demux/demux.js";
import type { Body, JsonValue } from "../protocol/data.js";
import type { Message } from "../protocol/message.js";
import type { ReceivedMessage } from "../transport/transport.js";
import type { CallContext } from "./call-context.js";
import { DeadlineScheduler } from "./deadline-scheduler.js";
import { methodInfos, UNTYPED, type MethodDefinition, type MethodInfo, type ServiceDefinition } from "./definitions.js";
import { composeInterceptors, type ServerCallDescriptor, type ServerInterceptor } from "./interceptors.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import { activeTracing, type Tracing } from "../trace/tracing.js";
import { sendError } from "./send-error.js";
import { ServerCall, type CallHost, type RpcLogger } from "./server-call.js";
import { serviceAnnouncement } from "./service-announcement.js";
import { readTyped } from "./typed-data.js";

/** Runs one request for a registered method. */
type RequestHandler = (message: Message, request: Request, from: string) => void;

/** The handler type of one method, from its definition. */
export type ServerMethod<M> =
  M extends MethodDefinition<infer Req, infer Res, infer ReqStream, infer ResStream>
    ? ReqStream extends true
      ? ResStream extends true
        ? (requests: AsyncIterable<Req>, context: CallContext) => AsyncIterable<Res>
        : (requests: AsyncIterable<Req>, context: CallContext) => Promise<Res> | Res
      : ResStream extends true
        ? (request: Req, context: CallContext) => AsyncIterable<Res>
        : (request: Req, context: CallContext) => Promise<Res> | Res
    : never;

/** An implementation of every method of service `S`. */
export type ServiceImplementation<S extends ServiceDefinition> = { [K in keyof S["methods"]]: ServerMethod<S["methods"][K]> };

/** An untyped (seed-style) method: JSON (or bytes) in, JSON (or bytes) out. */
export type UntypedHandler = (params: unknown, context: CallContext) => Promise<Body> | Body;

export interface RpcServerOptions {
  /** Calls served at once; more are refused with RESOURCE_EXHAUSTED. Default 10,000. */
  maxConcurrentCalls?: number;
  /** Run around every handler, first = outermost. */
  interceptors?: ServerInterceptor[];
  /** Told what the server cannot tell a caller (e.g. a reply that could not be encoded or sent). Default `console`. */
  logger?: RpcLogger;
  /**
   * A serialized google.protobuf.FileDescriptorSet of the services this server will serve
   * (e.g. from `buf build -o set.binpb`): announced with them, so a hub answers server
   * reflection (`grpcurl describe`) for them. The services themselves are announced anyway.
   */
  fileDescriptorSet?: Uint8Array;
}

type Invoke = (call: ServerCallDescriptor) => unknown;

/**
 * Serves typed services and untyped methods through a demux: it takes the demux's "requests"
 * lane (one RpcServer per demux; `add` as many services as needed).
 * ```ts
 * const server = createServer(demux).add(ComputeServiceDefinition, { async fibonacci(req) { ... }, ... });
 * ```
 */
export class RpcServer {
  readonly #demux: Demux;
  readonly #maxConcurrent: number;
  readonly #interceptors: ServerInterceptor[];
  readonly #methods = new Map<string, RequestHandler>();
  /** What is served, as announced to the transport (services with their call kinds). */
  readonly #served: MethodInfo[] = [];
  readonly #fileDescriptorSet: Uint8Array | undefined;
  readonly #host: CallHost;
  readonly #release: () => void;
  #closed = false;

  /** Throws when another RpcServer already serves this demux. */
  constructor(demux: Demux, options: RpcServerOptions = {}) {
    this.#demux = demux;
    this.#maxConcurrent = options.maxConcurrentCalls ?? 10_000;
    this.#interceptors = options.interceptors ?? [];
    this.#fileDescriptorSet = options.fileDescriptorSet;
    this.#host = { demux, active: new Set(), deadlines: new DeadlineScheduler(), logger: options.logger ?? console };
    this.#release = demux.handle("requests", this.#onRequest);
  }

  /** Wire paths of the methods served, e.g. "/swarm.examples.v1.ComputeService/Echo". */
  get methods(): string[] {
    return [...this.#methods.keys()];
  }

  /** Calls being served now. */
  get activeCalls(): number {
    return this.#host.active.size;
  }

  /** Serves every method of `definition` with `implementation`. Throws if a method is already served. */
  add<S extends ServiceDefinition>(definition: S, implementation: ServiceImplementation<S>): this {
    for (const [localName, info] of methodInfos(definition)) {
      const method = (implementation as Record<string, (...args: never[]) => unknown>)[localName];
      if (typeof method !== "function") throw new TypeError(`implementation of ${definition.fullName} lacks ${localName}()`);
      const bound = method.bind(implementation) as (request: unknown, context: CallContext) => unknown;
      this.#register(info, (call) => bound(call.request, call.context));
    }
    this.#announce();
    return this;
  }

  /**
   * Serves an untyped method by name, as the seed's `Message.request(source, "compute_fibonacci", {n: 42})`
   * expects: the handler gets the JSON params (or bytes) and returns a JSON value (or bytes).
   */
  addMethod(name: string, handler: UntypedHandler): this {
    const info: MethodInfo = { path: name, service: "", localName: name, name, kind: "unary", requestType: UNTYPED, responseType: UNTYPED };
    this.#register(info, (call) => handler(call.request, call.context));
    return this;
  }

  /** Stops serving: gives the demux's "requests" lane back and cancels the calls in progress (their callers get UNAVAILABLE). */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#release();
    this.#methods.clear();
    if (this.#served.length > 0) {
      this.#served.length = 0;
      this.#announce();
    }
    for (const call of [...this.#host.active]) call.abandon(new RpcError(Status.UNAVAILABLE, "server closed"));
    this.#host.deadlines.clear();
    return Promise.resolve();
  }

  #register(info: MethodInfo, implementation: Invoke): void {
    if (this.#closed) throw new Error(`RpcServer on "${this.#demux.localAddress}" is closed`);
    if (this.#methods.has(info.path)) throw new Error(`method ${info.path} is already served on "${this.#demux.localAddress}"`);
    const invoke = composeInterceptors(this.#interceptors as ((c: ServerCallDescriptor, n: Invoke) => unknown)[], implementation);
    this.#methods.set(info.path, (message, request, from) => this.#serve(info, invoke, message, request, from));
    this.#served.push(info);
  }

  /** Tells the transport what is served now (a hub routes calls of these services here). */
  #announce(): void {
    this.#demux.transport.announceServices?.(serviceAnnouncement(this.#served, this.#fileDescriptorSet));
  }

  readonly #onRequest = (received: ReceivedMessage): void => {
    const { from, message } = received;
    const payload = message.envelope.payload;
    if (payload?.$case !== "request") return;
    const request = payload.value;
    const handler = this.#methods.get(request.method);
    if (handler !== undefined) handler(message, request, from);
    else sendError(this.#demux, from, request.correlationId, Status.UNIMPLEMENTED, `method ${JSON.stringify(request.method)} is not served by "${this.#demux.localAddress}"`);
  };

  #serve(info: MethodInfo, invoke: Invoke, message: Message, request: Request, from: string): void {
    const demux = this.#demux;
    if (this.#host.active.size >= this.#maxConcurrent) {
      sendError(demux, from, request.correlationId, Status.RESOURCE_EXHAUSTED, `server is at its limit of ${this.#maxConcurrent} concurrent calls`);
      return;
    }
    let input: unknown;
    const call = new ServerCall(this.#host, info, from, message, request);
    const tracing = activeTracing;
    if (tracing !== undefined) call.span = serverSpan(tracing, info, from, message, demux);
    if (info.kind === "unary" || info.kind === "server-streaming") {
      try {
        input = info.requestType === UNTYPED ? untypedParams(request.params) : readTyped(request.params, info.requestType, "request", info.path);
      } catch (error) {
        call.fail(error);
        return;
      }
    } else {
      input = call.openInbox();
    }
    if (info.kind !== "unary") call.register();
    let outcome: unknown;
    try {
      outcome = call.run(invoke, { method: info, request: input, context: call });
    } catch (error) {
      call.fail(error);
      return;
    }
    if (info.kind === "server-streaming" || info.kind === "bidi-streaming") {
      void call.streamResponses(outcome as AsyncIterable<unknown>);
    } else if (outcome instanceof Promise) {
      call.register();
      outcome.then(
        (value) => call.succeed(value),
        (error: unknown) => call.fail(error),
      );
    } else {
      call.succeed(outcome);
    }
  }
}

/** The span of a call arriving: it continues the caller's, named by the request's `traceparent` header. */
function serverSpan(tracing: Tracing, info: MethodInfo, from: string, message: Message, demux: Demux) {
  return tracing.start({ kind: "server", system: "swarm", service: info.service, method: info.name, peer: from, transport: demux.transport }, undefined, message.envelope.headers);
}

/** Serves typed services and untyped methods through `demux` (see `createDemux`). */
export function createServer(demux: Demux, options?: RpcServerOptions): RpcServer {
  return new RpcServer(demux, options);
}

function untypedParams(params: Data | undefined): JsonValue | Uint8Array | undefined {
  const kind = params?.kind;
  if (kind === undefined) return undefined;
  return kind.$case === "binary" ? kind.value : (kind.value as JsonValue);
}
