import type { Data } from "../../generated/swarm/transport/v1/data.js";
import type { Response, StreamFrame } from "../../generated/swarm/transport/v1/envelope.js";
import { dataBytes, dataJson, toData, type Body } from "../protocol/data.js";
import type { Demux, ReplyHandler } from "../demux/demux.js";
import type { Message } from "../protocol/message.js";
import type { ReceivedMessage } from "../transport/transport.js";
import type { CallOptions } from "./call-options.js";
import { DeadlineScheduler } from "./deadline-scheduler.js";
import { methodInfos, UNTYPED, type MethodDefinition, type MethodInfo, type ServiceDefinition } from "./definitions.js";
import { composeInterceptors, type CallOutcome, type ClientCallDescriptor, type ClientInterceptor } from "./interceptors.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import { STREAM_WINDOW, StreamCredit, StreamInbox } from "./stream-inbox.js";
import { readTyped, TypedData } from "./typed-data.js";
import { monotonicNow } from "../transport/monotonic-clock.js";

/** The client function of one method, from its definition. */
export type ClientMethod<M> =
  M extends MethodDefinition<infer Req, infer Res, infer ReqStream, infer ResStream>
    ? ReqStream extends true
      ? ResStream extends true
        ? (requests: AsyncIterable<Req> | Iterable<Req>, options?: CallOptions) => AsyncIterable<Res>
        : (requests: AsyncIterable<Req> | Iterable<Req>, options?: CallOptions) => Promise<Res>
      : ResStream extends true
        ? (request: Req, options?: CallOptions) => AsyncIterable<Res>
        : (request: Req, options?: CallOptions) => Promise<Res>
    : never;

/** A typed client of service `S`: one function per method. */
export type Client<S extends ServiceDefinition> = { [K in keyof S["methods"]]: ClientMethod<S["methods"][K]> };

export interface RpcClientOptions {
  /** Address of the agent that serves the service. */
  peer: string;
  /** Deadline of calls that set none, in ms; 0 for none. Default 30,000. */
  timeoutMs?: number;
  /** Calls of this client in flight at once; more fail at once with RESOURCE_EXHAUSTED. Default 10,000. */
  maxInFlight?: number;
  /** Metadata sent with every call (a call's own metadata wins). */
  metadata?: Record<string, string>;
  /** Run around every call, first = outermost. */
  interceptors?: ClientInterceptor[];
}

/**
 * A typed client for `definition`, calling `options.peer` through `demux` (see `createDemux`).
 * ```ts
 * const compute = createClient(ComputeServiceDefinition, createDemux(transport), { peer: "agent_2" });
 * const { value } = await compute.fibonacci({ n: 42 }, { deadline: 500 });
 * ```
 */
export function createClient<S extends ServiceDefinition>(definition: S, demux: Demux, options: RpcClientOptions): Client<S> {
  const caller = new Caller(demux, options);
  const client: Record<string, unknown> = {};
  for (const [localName, info] of methodInfos(definition)) {
    client[localName] = (request: unknown, callOptions?: CallOptions) => caller.call(info, request, callOptions ?? NO_OPTIONS);
  }
  return client as Client<S>;
}

/**
 * Calls an untyped (seed-style) method: JSON (or bytes) params in, the JSON value (or bytes)
 * of the result out.
 */
export function callMethod(demux: Demux, peer: string, method: string, params?: Body, options?: CallOptions & { timeoutMs?: number }): Promise<unknown> {
  const caller = new Caller(demux, { peer, ...(options?.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
  const info: MethodInfo = { path: method, service: "", localName: method, name: method, kind: "unary", requestType: UNTYPED, responseType: UNTYPED };
  return caller.call(info, params, options ?? NO_OPTIONS) as Promise<unknown>;
}

/** The per-client settings and limits behind each call. */
class Caller {
  readonly demux: Demux;
  /** Deadlines of this client's calls, on one timer. */
  readonly deadlines = new DeadlineScheduler<ClientCall>();
  readonly peer: string;
  readonly timeoutMs: number;
  readonly maxInFlight: number;
  readonly metadata: Record<string, string> | undefined;
  inFlight = 0;
  /** The interceptor chain; undefined without interceptors (no descriptor object per call then). */
  readonly #invoke: ((call: ClientCallDescriptor) => CallOutcome) | undefined;

  constructor(demux: Demux, options: RpcClientOptions) {
    this.demux = demux;
    this.peer = options.peer;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxInFlight = options.maxInFlight ?? 10_000;
    this.metadata = options.metadata;
    const interceptors = options.interceptors ?? [];
    const start = (call: ClientCallDescriptor) => this.#start(call.method, call.peer, call.request, call.options);
    this.#invoke = interceptors.length === 0 ? undefined : composeInterceptors(interceptors, start);
  }

  call(info: MethodInfo, request: unknown, options: CallOptions): CallOutcome {
    const invoke = this.#invoke;
    if (invoke === undefined) return this.#start(info, this.peer, request, options);
    return invoke({ method: info, peer: this.peer, request, options });
  }

  #start(info: MethodInfo, peer: string, request: unknown, options: CallOptions): CallOutcome {
    if (info.kind === "unary" || info.kind === "client-streaming") {
      return new Promise((resolve, reject) => {
        new ClientCall(this, info, peer, options, resolve, reject).start(request);
      });
    }
    // Streaming responses start when the caller first reads them.
    return {
      [Symbol.asyncIterator]: () => {
        let call: ClientCall | undefined;
        let iterator: AsyncIterator<unknown> | undefined;
        return {
          next: () => {
            if (iterator === undefined) {
              call = new ClientCall(this, info, peer, options, undefined, undefined);
              iterator = call.responses()[Symbol.asyncIterator]();
              call.start(request);
            }
            return iterator.next();
          },
          return: (value?: unknown) => (iterator?.return !== undefined ? iterator.return(value) : Promise.resolve({ done: true, value })),
        };
      },
    };
  }
}

/** One client call of any kind, from start to outcome. */
class ClientCall implements ReplyHandler {
  readonly peer: string;
  readonly id: number;
  deadlineAt = Infinity;
  deadlineSlot = -1;
  readonly #caller: Caller;
  readonly #info: MethodInfo;
  readonly #options: CallOptions;
  readonly #resolve: ((value: unknown) => void) | undefined;
  readonly #reject: ((error: unknown) => void) | undefined;
  #inbox: StreamInbox<Data> | undefined;
  #credit: StreamCredit | undefined;
  #done = false;
  #headerSeen = false;
  #trailers: Record<string, string> | undefined;
  /** Listens to the caller's signal; made only for calls that have one. */
  #onAbort: (() => void) | undefined;

  constructor(
    caller: Caller,
    info: MethodInfo,
    peer: string,
    options: CallOptions,
    resolve: ((value: unknown) => void) | undefined,
    reject: ((error: unknown) => void) | undefined,
  ) {
    this.#caller = caller;
    this.#info = info;
    this.peer = peer;
    this.#options = options;
    this.#resolve = resolve;
    this.#reject = reject;
    this.id = caller.demux.nextCallId();
  }

  /** The response stream (server- and bidi-streaming calls). */
  responses(): AsyncIterable<unknown> {
    const inbox = (this.#inbox = new StreamInbox<Data>(
      STREAM_WINDOW,
      (credit) => this.#sendFrame({ $case: "credit", value: credit }),
      () => this.#fail(new RpcError(Status.CANCELLED, "the caller stopped reading the response stream"), true),
    ));
    const type = this.#info.responseType;
    const path = this.#info.path;
    return {
      [Symbol.asyncIterator]: () => {
        const it = inbox[Symbol.asyncIterator]();
        return {
          next: () =>
            it.next().then((r) => {
              if (!r.done) return { done: false, value: readResponse(r.value, type, path) };
              if (this.#trailers !== undefined) this.#options.onTrailer?.(this.#trailers);
              this.#trailers = undefined;
              return r;
            }),
          return: () => it.return!(),
        };
      },
    };
  }

  start(request: unknown): void {
    const caller = this.#caller;
    const options = this.#options;
    const signal = options.signal;
    if (signal?.aborted) return this.#settleError(new RpcError(Status.CANCELLED, `call to ${this.#info.path} cancelled before it started`, { cause: signal.reason }));
    if (caller.inFlight >= caller.maxInFlight) {
      return this.#settleError(new RpcError(Status.RESOURCE_EXHAUSTED, `client is at its limit of ${caller.maxInFlight} calls in flight`));
    }
    caller.inFlight++;
    const demux = caller.demux;
    demux.addCall(this.id, this);
    const timeoutMs = deadlineMs(options.deadline, caller.timeoutMs);
    if (timeoutMs > 0) {
      this.deadlineAt = monotonicNow() + timeoutMs;
      caller.deadlines.add(this);
    }
    if (signal !== undefined) {
      this.#onAbort = () => this.#fail(new RpcError(Status.CANCELLED, `call to ${this.#info.path} cancelled`, { cause: signal.reason }), true);
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    const streamingRequest = this.#info.kind === "client-streaming" || this.#info.kind === "bidi-streaming";
    const metadata = caller.metadata === undefined ? options.metadata : { ...caller.metadata, ...options.metadata };
    const params = streamingRequest ? undefined : this.#info.requestType === UNTYPED ? toData(request as Body) : new TypedData(request, this.#info.requestType);
    demux.post(
      this.peer,
      { $case: "request", value: { correlationId: this.id, method: this.#info.path, params, timeoutMs: Math.min(timeoutMs, 0xffff_ffff) } },
      metadata,
      this,
    );
    if (streamingRequest) {
      this.#credit = new StreamCredit(STREAM_WINDOW);
      void this.#pump(request as AsyncIterable<unknown> | Iterable<unknown>);
    }
  }

  onReply(received: ReceivedMessage): void {
    const payload = received.message.envelope.payload;
    if (payload?.$case === "response") this.#onResponse(payload.value, received.message);
    else if (payload?.$case === "stream") this.#onFrame(payload.value, received.message);
  }

  #onResponse(response: Response, message: Message): void {
    if (this.#done) return;
    this.#seeHeader(message);
    const outcome = response.outcome;
    // A stream's trailers reach the caller after its last message, when it reads the end.
    if (this.#inbox === undefined || outcome?.$case === "error") this.#options.onTrailer?.(response.trailers);
    else this.#trailers = response.trailers;
    if (outcome?.$case === "error") {
      const { code, message: text, details } = outcome.value;
      const detail = dataJson(details) ?? dataBytes(details);
      this.#fail(new RpcError(code as Status, text, { details: detail, metadata: response.trailers }), false);
      return;
    }
    this.#finish();
    if (this.#inbox !== undefined) {
      this.#inbox.end();
      return;
    }
    let value: unknown;
    try {
      value = readResponse(outcome?.value, this.#info.responseType, this.#info.path);
    } catch (error) {
      this.#reject!(error);
      return;
    }
    this.#resolve!(value);
  }

  #onFrame(frame: StreamFrame, message: Message): void {
    if (this.#done) return;
    const body = frame.frame;
    if (body?.$case === "message") {
      this.#seeHeader(message);
      if (this.#inbox === undefined || !this.#inbox.push(body.value)) {
        this.#fail(new RpcError(Status.RESOURCE_EXHAUSTED, `server sent more response messages than its credit of ${STREAM_WINDOW}`), true);
      }
    } else if (body?.$case === "credit") {
      this.#credit?.grant(body.value);
    }
  }

  onPeerGone(reason: string): void {
    this.#fail(new RpcError(Status.UNAVAILABLE, `${this.#info.path} to "${this.peer}" failed: ${reason}`), false);
  }

  /** The deadline passed (called by the dispatcher's DeadlineScheduler). */
  expire(): void {
    this.#fail(new RpcError(Status.DEADLINE_EXCEEDED, `deadline exceeded calling ${this.#info.path} on "${this.peer}"`), true);
  }

  /** A message of this call could not be sent (see Demux.post). */
  onSendError(error: unknown): void {
    this.#fail(RpcError.from(error), false);
  }

  async #pump(requests: AsyncIterable<unknown> | Iterable<unknown>): Promise<void> {
    const credit = this.#credit!;
    const type = this.#info.requestType;
    let iterator: AsyncIterator<unknown> | Iterator<unknown> | undefined;
    try {
      iterator = Symbol.asyncIterator in requests ? requests[Symbol.asyncIterator]() : requests[Symbol.iterator]();
      for (;;) {
        const next = await iterator.next();
        if (next.done || this.#done) break;
        const wait = credit.acquire();
        if (wait !== undefined) await wait;
        if (this.#done) break;
        this.#sendFrame({ $case: "message", value: new TypedData(next.value, type) });
      }
      if (!this.#done) this.#sendFrame({ $case: "halfClose", value: {} });
    } catch (error) {
      this.#fail(new RpcError(Status.CANCELLED, `the request stream failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error }), true);
    } finally {
      if (this.#done && iterator?.return !== undefined) void Promise.resolve(iterator.return()).catch(() => undefined);
    }
  }

  #sendFrame(frame: StreamFrame["frame"]): void {
    this.#caller.demux.post(this.peer, { $case: "stream", value: { correlationId: this.id, frame, fromCallee: false } }, undefined, this);
  }

  #seeHeader(message: Message): void {
    if (this.#headerSeen) return;
    this.#headerSeen = true;
    this.#options.onHeader?.(message.headers);
  }

  #fail(error: RpcError, sendCancel: boolean): void {
    if (this.#done) return;
    this.#finish();
    if (sendCancel) {
      const reason = error.code === Status.DEADLINE_EXCEEDED ? "deadline exceeded" : "cancelled";
      this.#caller.demux.post(this.peer, { $case: "control", value: { operation: { $case: "cancel", value: { correlationId: this.id, reason } } } });
    }
    this.#settleError(error);
  }

  #settleError(error: RpcError): void {
    this.#done = true;
    this.#credit?.fail(error);
    if (this.#inbox !== undefined) this.#inbox.fail(error);
    else this.#reject!(error);
  }

  #finish(): void {
    this.#done = true;
    this.#credit?.fail(CALL_FINISHED);
    const caller = this.#caller;
    caller.inFlight--;
    caller.demux.removeCall(this.id);
    if (this.deadlineAt !== Infinity) caller.deadlines.delete(this);
    if (this.#onAbort !== undefined) this.#options.signal?.removeEventListener("abort", this.#onAbort);
  }
}

function readResponse(data: Data | undefined, type: MethodInfo["responseType"], path: string): unknown {
  if (type === UNTYPED) return dataJson(data) ?? dataBytes(data);
  try {
    return readTyped(data, type, "response", path);
  } catch (error) {
    throw new RpcError(Status.INTERNAL, (error as RpcError).rawMessage ?? String(error), { cause: error });
  }
}

/** ms until the deadline: a number is relative, a Date absolute; undefined uses the default. */
function deadlineMs(deadline: number | Date | undefined, fallbackMs: number): number {
  if (deadline === undefined) return fallbackMs;
  if (deadline instanceof Date) return Math.max(1, deadline.getTime() - Date.now());
  return Math.max(1, deadline);
}

const NO_OPTIONS: CallOptions = Object.freeze({});
const CALL_FINISHED = new RpcError(Status.CANCELLED, "call finished");

