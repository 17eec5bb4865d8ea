import type { CallContext } from "./call-context.js";
import type { CallOptions } from "./call-options.js";
import type { MethodInfo } from "./definitions.js";

/** A call's result: a promise for unary and client-streaming calls, an async iterable for the others. */
export type CallOutcome<Res = unknown> = Promise<Res> | AsyncIterable<Res>;

/** A client call on its way out. Interceptors may pass on a changed copy. */
export interface ClientCallDescriptor<Req = unknown> {
  readonly method: MethodInfo;
  /** The callee's address. */
  readonly peer: string;
  /** The request message, or the request stream for client- and bidi-streaming calls. */
  readonly request: Req | AsyncIterable<Req>;
  readonly options: CallOptions;
}

/**
 * Wraps client calls: add metadata (auth), log, measure, retry. Call `next` to continue.
 * ```ts
 * const auth: ClientInterceptor = (call, next) =>
 *   next({ ...call, options: { ...call.options, metadata: { ...call.options.metadata, authorization: "Bearer t" } } });
 * ```
 */
export type ClientInterceptor = (call: ClientCallDescriptor, next: (call: ClientCallDescriptor) => CallOutcome) => CallOutcome;

/** A call arriving at a server. */
export interface ServerCallDescriptor<Req = unknown> {
  readonly method: MethodInfo;
  /** The request message, or the request stream for client- and bidi-streaming calls. */
  readonly request: Req | AsyncIterable<Req>;
  readonly context: CallContext;
}

/** Wraps handlers: authenticate (throw an RpcError to refuse), log, measure. Call `next` to run the handler. */
export type ServerInterceptor = (call: ServerCallDescriptor, next: (call: ServerCallDescriptor) => CallOutcome | unknown) => CallOutcome | unknown;

/** `interceptors[0]` runs first (outermost); `final` runs last. */
export function composeInterceptors<C, R>(interceptors: readonly ((call: C, next: (call: C) => R) => R)[], final: (call: C) => R): (call: C) => R {
  let next = final;
  for (let i = interceptors.length - 1; i >= 0; i--) {
    const interceptor = interceptors[i]!;
    const inner = next;
    next = (call) => interceptor(call, inner);
  }
  return next;
}
