// `swarm-transport/otel`: OpenTelemetry tracing for RPC calls, pub/sub and the HTTP edge. It
// needs `@opentelemetry/api` (an optional peer dependency: the rest of the package never loads
// it) and, to record anything, an SDK the application registers. Runs in browsers too.
import { setTracing } from "./trace/tracing.js";
import { OpenTelemetryTracing, type OpenTelemetryOptions } from "./otel/otel-tracing.js";

export { OpenTelemetryTracing, type OpenTelemetryOptions } from "./otel/otel-tracing.js";
export { LINK_EVENTS, MESSAGING_ATTRIBUTES, RPC_ATTRIBUTES, statusAttribute, SWARM_ATTRIBUTES } from "./otel/semantic-conventions.js";
export { formatTraceParent, parseTraceParent, TRACEPARENT_HEADER, TRACESTATE_HEADER, type TraceParent } from "./trace/trace-context.js";
export { setTracing, type SpanStart, type Traced, type TraceSpan, type TraceSpanKind, type Tracing } from "./trace/tracing.js";

/**
 * Traces every RPC call, publish and delivery of this realm (and the HTTP edge of its hubs) with
 * OpenTelemetry, carrying W3C trace context in envelope headers. Call it once at start-up,
 * after registering the SDK; returns a function that turns tracing off again.
 * ```ts
 * import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
 * import { enableOpenTelemetry } from "swarm-transport/otel";
 * new NodeTracerProvider({ spanProcessors: [...] }).register();
 * enableOpenTelemetry();
 * ```
 */
export function enableOpenTelemetry(options?: OpenTelemetryOptions): () => void {
  const tracing = new OpenTelemetryTracing(options);
  const previous = setTracing(tracing);
  return () => {
    setTracing(previous);
  };
}
