import type { Body } from "../protocol/data.js";
import type { Demux } from "../demux/demux.js";
import type { CallOptions } from "./call-options.js";
import { ClientCall, type CallerState } from "./client-call.js";
import { DeadlineScheduler } from "./deadline-scheduler.js";
import { methodInfos, UNTYPED, type MethodDefinition, type MethodInfo, type ServiceDefinition } from "./definitions.js";
import { composeInterceptors, type CallOutcome, type ClientCallDescriptor, type ClientInterceptor } from "./interceptors.js";

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
class Caller implements CallerState {
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

const NO_OPTIONS: CallOptions = Object.freeze({});
