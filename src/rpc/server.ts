import type { Data } from "../../generated/swarm/transport/v1/data.js";
import type { Request, StreamFrame } from "../../generated/swarm/transport/v1/envelope.js";
import type { Demux, ServedHandler } from "../demux/demux.js";
import { toData, type Body, type JsonValue } from "../protocol/data.js";
import type { Message } from "../protocol/message.js";
import type { ReceivedMessage } from "../transport/transport.js";
import type { CallContext } from "./call-context.js";
import { methodInfos, UNTYPED, type MethodDefinition, type MethodInfo, type ServiceDefinition } from "./definitions.js";
import { composeInterceptors, type ServerCallDescriptor, type ServerInterceptor } from "./interceptors.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import { sendError } from "./send-error.js";
import { serviceAnnouncement } from "./service-announcement.js";
import { STREAM_WINDOW, StreamCredit, StreamInbox } from "./stream-inbox.js";
import { readTyped, TypedData } from "./typed-data.js";

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
  readonly #calls = new Set<ServerCall>();
  readonly #release: () => void;
  #closed = false;

  /** Throws when another RpcServer already serves this demux. */
  constructor(demux: Demux, options: RpcServerOptions = {}) {
    this.#demux = demux;
    this.#maxConcurrent = options.maxConcurrentCalls ?? 10_000;
    this.#interceptors = options.interceptors ?? [];
    this.#fileDescriptorSet = options.fileDescriptorSet;
    this.#release = demux.handle("requests", this.#onRequest);
  }

  /** Wire paths of the methods served, e.g. "/swarm.examples.v1.ComputeService/Echo". */
  get methods(): string[] {
    return [...this.#methods.keys()];
  }

  /** Calls being served now. */
  get activeCalls(): number {
    return this.#calls.size;
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
    for (const call of [...this.#calls]) call.abandon(new RpcError(Status.UNAVAILABLE, "server closed"));
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
    if (this.#calls.size >= this.#maxConcurrent) {
      sendError(demux, from, request.correlationId, Status.RESOURCE_EXHAUSTED, `server is at its limit of ${this.#maxConcurrent} concurrent calls`);
      return;
    }
    let input: unknown;
    const call = new ServerCall(demux, info, from, message, request, this.#calls);
    if (info.kind === "unary" || info.kind === "server-streaming") {
      try {
        input = info.requestType === UNTYPED ? untypedParams(request.params) : readTyped(request.params, info.requestType, `request of ${info.path}`);
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
      outcome = invoke({ method: info, request: input, context: call });
    } catch (error) {
      call.fail(error);
      return;
    }
    if (info.kind === "server-streaming" || info.kind === "bidi-streaming") {
      void call.streamResponses(outcome as AsyncIterable<unknown>);
    } else if (outcome instanceof Promise) {
      call.register();
      outcome.then(call.succeed, call.fail);
    } else {
      call.succeed(outcome);
    }
  }
}

/** Serves typed services and untyped methods through `demux` (see `createDemux`). */
export function createServer(demux: Demux, options?: RpcServerOptions): RpcServer {
  return new RpcServer(demux, options);
}

/** One call being served: its context, its streams, and how it ends. */
class ServerCall implements CallContext, ServedHandler {
  readonly method: MethodInfo;
  readonly peer: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly deadline: number | undefined;
  #header: Record<string, string> | undefined;
  #trailer: Record<string, string> | undefined;
  #registered = false;
  readonly #demux: Demux;
  readonly #id: number;
  readonly #active: Set<ServerCall>;
  #controller: AbortController | undefined;
  #done = false;
  #headerSent = false;
  #inbox: StreamInbox<unknown> | undefined;
  #credit: StreamCredit | undefined;

  constructor(demux: Demux, info: MethodInfo, from: string, message: Message, request: Request, active: Set<ServerCall>) {
    this.#demux = demux;
    this.method = info;
    this.peer = from;
    this.metadata = message.envelope.headers;
    this.deadline = request.timeoutMs > 0 ? message.envelope.timestampMs + request.timeoutMs : undefined;
    this.#id = request.correlationId;
    this.#active = active;
  }

  get header(): Record<string, string> {
    return (this.#header ??= {});
  }

  get trailer(): Record<string, string> {
    return (this.#trailer ??= {});
  }

  /**
   * Makes the call reachable by Cancel frames and peer loss, and counted against the limit.
   * A unary handler that answers synchronously never needs it, so it is done only once a
   * call outlives its first turn (streams, async handlers).
   */
  register(): void {
    if (this.#registered || this.#done) return;
    this.#registered = true;
    this.#active.add(this);
    this.#demux.addServed(this.peer, this.#id, this);
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#done) this.#controller.abort(new RpcError(Status.CANCELLED, "call already finished"));
    }
    return this.#controller.signal;
  }

  /** The request stream of a client- or bidi-streaming call. */
  openInbox(): AsyncIterable<unknown> {
    const type = this.method.requestType;
    this.#inbox = new StreamInbox<unknown>(STREAM_WINDOW, (credit) => this.#sendFrame({ $case: "credit", value: credit }), () => undefined);
    const inbox = this.#inbox;
    const path = this.method.path;
    return {
      [Symbol.asyncIterator]: () => {
        const it = inbox[Symbol.asyncIterator]();
        return { next: () => it.next().then((r) => (r.done ? r : { done: false, value: readTypedOrFail(r.value as Data, type, path) })), return: () => it.return!() };
      },
    };
  }

  onFrame(frame: StreamFrame): void {
    const body = frame.frame;
    switch (body?.$case) {
      case "message":
        if (this.#inbox === undefined || !this.#inbox.push(body.value)) {
          this.fail(new RpcError(Status.RESOURCE_EXHAUSTED, `caller sent more request messages than its credit of ${STREAM_WINDOW}`));
        }
        return;
      case "halfClose":
        this.#inbox?.end();
        return;
      case "credit":
        this.#credit?.grant(body.value);
        return;
    }
  }

  onCancel(reason: string): void {
    this.abandon(new RpcError(Status.CANCELLED, `call cancelled by the caller: ${reason}`));
  }

  /** Ends the call without an outcome on the wire (the caller cancelled, vanished, or the server closed). */
  abandon(error: RpcError): void {
    if (this.#done) return;
    this.#finish(error);
    if (error.code === Status.UNAVAILABLE) sendError(this.#demux, this.peer, this.#id, error.code, error.rawMessage, this.#trailer);
  }

  readonly succeed = (value: unknown): void => {
    if (this.#done) return;
    const type = this.method.responseType;
    this.#respond(type === UNTYPED ? toData(value as Body) : new TypedData(value, type));
  };

  readonly fail = (error: unknown): void => {
    if (this.#done) return;
    const rpcError = RpcError.from(error);
    const headers = this.#takeHeader();
    this.#finish(rpcError);
    const trailers = { ...rpcError.metadata, ...this.#trailer };
    sendError(this.#demux, this.peer, this.#id, rpcError.code, rpcError.rawMessage, trailers, headers, rpcError.details);
  };

  /** Sends each message of a handler's response stream, within the caller's credit, then the outcome. */
  async streamResponses(responses: AsyncIterable<unknown>): Promise<void> {
    const credit = (this.#credit = new StreamCredit(STREAM_WINDOW));
    const type = this.method.responseType;
    let iterator: AsyncIterator<unknown> | undefined;
    try {
      iterator = responses[Symbol.asyncIterator]();
      for (;;) {
        const next = await iterator.next();
        if (next.done || this.#done) break;
        const wait = credit.acquire();
        if (wait !== undefined) await wait;
        if (this.#done) break;
        this.#sendFrame({ $case: "message", value: new TypedData(next.value, type) }, this.#takeHeader());
      }
      if (!this.#done) this.#respond(undefined);
    } catch (error) {
      this.fail(error);
    } finally {
      if (this.#done && iterator?.return !== undefined) void Promise.resolve(iterator.return()).catch(() => undefined);
    }
  }

  #respond(result: Data | undefined): void {
    const headers = this.#takeHeader();
    this.#finish(undefined);
    this.#demux.post(
      this.peer,
      { $case: "response", value: { correlationId: this.#id, outcome: { $case: "result", value: result ?? EMPTY_DATA }, trailers: this.#trailer ?? {} } },
      headers,
    );
  }

  #sendFrame(frame: StreamFrame["frame"], headers?: Record<string, string>): void {
    this.#demux.post(this.peer, { $case: "stream", value: { correlationId: this.#id, frame, fromCallee: true } }, headers);
  }

  /** The response headers, the first time only: they go on the callee's first message. */
  #takeHeader(): Record<string, string> | undefined {
    if (this.#headerSent) return undefined;
    this.#headerSent = true;
    return this.#header;
  }

  #finish(error: RpcError | undefined): void {
    this.#done = true;
    if (this.#registered) {
      this.#active.delete(this);
      this.#demux.removeServed(this.peer, this.#id);
    }
    if (this.#inbox === undefined && this.#credit === undefined && this.#controller === undefined) return;
    const reason = error ?? new RpcError(Status.CANCELLED, "call finished");
    this.#inbox?.fail(reason);
    this.#credit?.fail(reason);
    this.#controller?.abort(reason);
  }
}

function readTypedOrFail(data: Data, type: MethodInfo["requestType"], path: string): unknown {
  return readTyped(data, type, `request message of ${path}`);
}

function untypedParams(params: Data | undefined): JsonValue | Uint8Array | undefined {
  const kind = params?.kind;
  if (kind === undefined) return undefined;
  return kind.$case === "binary" ? kind.value : (kind.value as JsonValue);
}

const EMPTY_DATA: Data = { kind: undefined, typeName: "" };
