// An OpenTelemetry SDK for tests: spans go to an in-memory exporter as they end.
import { context, propagation, SpanKind, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

/** A finished span as plain data: what a worker thread posts to the test and what assertions read. */
export interface SpanRecord {
  name: string;
  kind: "internal" | "server" | "client" | "producer" | "consumer";
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
  /** 0 unset, 1 ok, 2 error */
  status: number;
  statusMessage: string | undefined;
  events: { name: string; attributes: Record<string, unknown> }[];
  /** Which thread or process recorded it. */
  recordedBy: string;
}

const KINDS = { [SpanKind.INTERNAL]: "internal", [SpanKind.SERVER]: "server", [SpanKind.CLIENT]: "client", [SpanKind.PRODUCER]: "producer", [SpanKind.CONSUMER]: "consumer" } as const;

export function spanRecord(span: ReadableSpan, recordedBy: string): SpanRecord {
  const { traceId, spanId } = span.spanContext();
  return {
    name: span.name,
    kind: KINDS[span.kind],
    traceId,
    spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: { ...span.attributes },
    status: span.status.code,
    statusMessage: span.status.message,
    events: span.events.map((event) => ({ name: event.name, attributes: { ...event.attributes } })),
    recordedBy,
  };
}

/** Registers a NodeTracerProvider (global tracer provider and AsyncLocalStorage context manager) with an in-memory exporter. */
export function registerTestSdk(recordedBy = "main"): { spans(): SpanRecord[]; reset(): void; shutdown(): Promise<void> } {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  return {
    spans: () => exporter.getFinishedSpans().map((span) => spanRecord(span, recordedBy)),
    reset: () => exporter.reset(),
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
