import { context, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import type { TraceSpan, TraceSpanKind } from "../trace/tracing.js";
import { SWARM_ATTRIBUTES, statusAttribute } from "./semantic-conventions.js";

/** gRPC codes a server reports as errors (the others are the caller's doing): OTel's gRPC conventions. */
const SERVER_ERRORS = new Set([2, 4, 12, 13, 14, 15]);
const STATUS_NAMES = ["OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"];

/** Where a span is kept while it is open, to be told of link events (see LinkEvents). */
export interface SpanWatch {
  delete(span: OtelSpan): void;
}

/** OpenTelemetry's kind for ours. */
export function otelKind(kind: TraceSpanKind): SpanKind {
  switch (kind) {
    case "client":
      return SpanKind.CLIENT;
    case "server":
      return SpanKind.SERVER;
    case "producer":
      return SpanKind.PRODUCER;
    case "consumer":
      return SpanKind.CONSUMER;
  }
}

/** A `TraceSpan` backed by an OpenTelemetry span. */
export class OtelSpan implements TraceSpan {
  readonly otel: Span;
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
  readonly #kind: TraceSpanKind;
  readonly #rpc: boolean;
  #watch: SpanWatch | undefined;
  #ended = false;

  constructor(otel: Span, kind: TraceSpanKind, rpc: boolean) {
    this.otel = otel;
    this.#kind = kind;
    this.#rpc = rpc;
    const spanContext = otel.spanContext();
    this.traceparent = `00-${spanContext.traceId}-${spanContext.spanId}-${(spanContext.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
    const state = spanContext.traceState?.serialize();
    this.tracestate = state === undefined || state === "" ? undefined : state;
  }

  /** Keeps the span in `watch` until it ends. */
  watchedBy(watch: SpanWatch): void {
    this.#watch = watch;
  }

  run<A, T>(fn: (arg: A) => T, arg: A): T {
    return context.with(trace.setSpan(context.active(), this.otel), fn, undefined, arg);
  }

  end(code: number, message?: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#watch?.delete(this);
    const span = this.otel;
    if (this.#rpc) span.setAttribute(statusAttribute, code);
    if (code !== 0) {
      const name = STATUS_NAMES[code] ?? String(code);
      span.setAttribute(SWARM_ATTRIBUTES.status, name);
      // a server is at fault only for some codes (the rest are the caller's doing); anyone else for every failure
      if (this.#kind !== "server" || SERVER_ERRORS.has(code)) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: message === undefined || message === "" ? name : `${name}: ${message}` });
      }
    }
    span.end();
  }
}
