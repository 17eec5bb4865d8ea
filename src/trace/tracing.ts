/**
 * The tracing hook of the RPC, pub/sub and gateway layers: a `Tracing` is told when a call or
 * an event starts and hands back a span, whose W3C `traceparent` goes out in the envelope
 * headers of what it sends. None is installed by default, and then those layers read neither
 * headers nor clocks for it: one check of a module variable per call. `swarm-transport/otel`
 * installs one built on OpenTelemetry (`enableOpenTelemetry()`).
 *
 *   caller                              callee
 *   client span ─traceparent header─▶   server span ──(its handler's calls, publishes)──▶ child spans
 */
import type { Transport } from "../transport/transport.js";
import { TRACEPARENT_HEADER, TRACESTATE_HEADER } from "./trace-context.js";

/** What a span stands for, in OpenTelemetry's terms. */
export type TraceSpanKind = "client" | "server" | "producer" | "consumer";

/** What a tracer is told when a span starts. */
export interface SpanStart {
  readonly kind: TraceSpanKind;
  /** RPC: "grpc" or "connect_rpc" for calls arriving at the HTTP edge, else "swarm". Events: "swarm". */
  readonly system: string;
  /** RPC: the service's full name ("swarm.examples.v1.ComputeService"); "" for an untyped method. Events: "". */
  readonly service: string;
  /** RPC: the method ("Fibonacci", or an untyped method's name). Events: the subject. */
  readonly method: string;
  /** The other side's address: the callee, the caller or the publisher; "" when there is none (a publish). */
  readonly peer: string;
  /** The transport the span's messages travel on: its `localAddress`, and link changes (reconnects). */
  readonly transport: Transport | undefined;
}

/** One span, as the layers that start it see it. */
export interface TraceSpan {
  /** The `traceparent` value naming this span, sent with what it sends; undefined sends none. */
  readonly traceparent: string | undefined;
  /** The `tracestate` value to send beside it, if any. */
  readonly tracestate: string | undefined;
  /**
   * Runs `fn(arg)` with this span current in the tracer's own context (OpenTelemetry's active
   * context), so spans the code starts by itself nest under it.
   */
  run<A, T>(fn: (arg: A) => T, arg: A): T;
  /** Ends the span: `code` 0 is OK, anything else a gRPC status (see `Status`) with `message`. Only the first call counts. */
  end(code: number, message?: string): void;
}

/** Something a span may continue: a handler's `CallContext` has its call's span. */
export interface Traced {
  /** The span of this call, when a tracer is installed. */
  readonly span?: TraceSpan | undefined;
}

/** Starts spans for the RPC, pub/sub and gateway layers (see `setTracing`). */
export interface Tracing {
  /**
   * A span starts. `parent` is the span it continues when this side knows one (the call being
   * served, for a call or publish made by its handler); `headers` are the envelope or HTTP
   * headers received (server and consumer spans), whose `traceparent` names the remote parent.
   */
  start(start: SpanStart, parent: TraceSpan | undefined, headers: Readonly<Record<string, string>> | undefined): TraceSpan;
}

/** The installed tracer; undefined (the default) traces nothing. @internal */
export let activeTracing: Tracing | undefined;

/** Where the span of the call being served comes from when none is named (see `setCallContextManager`). */
let activeSpanSource: (() => TraceSpan | undefined) | undefined;

/**
 * Installs (or, with undefined, removes) the tracer of this realm's RPC clients and servers,
 * pub/sub and HTTP edge. Returns the previous one.
 */
export function setTracing(next: Tracing | undefined): Tracing | undefined {
  const previous = activeTracing;
  activeTracing = next;
  return previous;
}

/** Set by the call context manager: the span of the active call. @internal */
export function setActiveSpanSource(source: (() => TraceSpan | undefined) | undefined): void {
  activeSpanSource = source;
}

/**
 * The span a call or publish continues: its explicit parent's (`null`: none), else the active
 * call's. @internal
 */
export function parentSpan(parent: Traced | null | undefined): TraceSpan | undefined {
  if (parent === null) return undefined;
  return parent === undefined ? activeSpanSource?.() : parent.span;
}

/**
 * `headers` plus the span's trace headers (a new object; `headers` is left as it is), or
 * `headers` itself when the span names none (a trace header in them passes on unchanged). @internal
 */
export function withTraceHeaders(headers: Readonly<Record<string, string>> | undefined, span: TraceSpan): Record<string, string> | undefined {
  const traceparent = span.traceparent;
  if (traceparent === undefined) return headers as Record<string, string> | undefined;
  const out: Record<string, string> = { ...headers, [TRACEPARENT_HEADER]: traceparent };
  const tracestate = span.tracestate;
  if (tracestate !== undefined && tracestate !== "") out[TRACESTATE_HEADER] = tracestate;
  else delete out[TRACESTATE_HEADER];
  return out;
}
