import { context, createTraceState, isSpanContextValid, ROOT_CONTEXT, trace, type Attributes, type Context, type Tracer, type TracerProvider } from "@opentelemetry/api";
import { parseTraceParent, TRACEPARENT_HEADER, TRACESTATE_HEADER } from "../trace/trace-context.js";
import type { SpanStart, TraceSpan, Tracing } from "../trace/tracing.js";
import { LinkEvents } from "./link-events.js";
import { OtelSpan, otelKind } from "./otel-span.js";
import { MESSAGING_ATTRIBUTES, RPC_ATTRIBUTES, SWARM_ATTRIBUTES } from "./semantic-conventions.js";

/** Options of `createOpenTelemetryTracing` / `enableOpenTelemetry`. */
export interface OpenTelemetryOptions {
  /** Where tracers come from. Default: the global one (`trace.getTracerProvider()`), i.e. the SDK the application registered. */
  tracerProvider?: TracerProvider;
  /** The instrumentation scope's name. Default "swarm-transport". */
  tracerName?: string;
}

/** A span that records nothing and sends no trace headers: what a call gets when there is nothing to trace or continue. */
const UNTRACED: TraceSpan = Object.freeze({
  traceparent: undefined,
  tracestate: undefined,
  run: <A, T>(fn: (arg: A) => T, arg: A): T => fn(arg),
  end: () => undefined,
});

/**
 * The `Tracing` of OpenTelemetry: client and server spans per call (RPC conventions), producer
 * and consumer spans per publish and delivery (messaging conventions), link events on the
 * spans open during a reconnect.
 *
 * Parents: a server or consumer span continues the `traceparent` it received (a new trace
 * without one). A client or producer span continues the call being served (the `parent` the
 * RPC layer found: `CallOptions.parent`, or the active call) — or OpenTelemetry's active span
 * when that one is in the same trace (a span the handler started itself), or when there is no
 * call being served (application code under a span of its own).
 */
export class OpenTelemetryTracing implements Tracing {
  readonly #name: string;
  /** Where spans come from; until an SDK registers with the global provider, its no-op tracer. */
  readonly #tracer: Tracer;
  /** The global provider, asked whether an SDK registered until one has (then `#sdk` is its tracer). */
  readonly #global: GlobalProvider | undefined;
  #sdk: Tracer | undefined;
  readonly #links = new LinkEvents();

  constructor(options: OpenTelemetryOptions = {}) {
    const provider = options.tracerProvider ?? trace.getTracerProvider();
    this.#name = options.tracerName ?? "swarm-transport";
    this.#tracer = provider.getTracer(this.#name);
    if (isGlobalProvider(provider)) this.#global = provider;
    else this.#sdk = this.#tracer;
  }

  start(start: SpanStart, parent: TraceSpan | undefined, headers: Readonly<Record<string, string>> | undefined): TraceSpan {
    const remote = start.kind === "server" || start.kind === "consumer";
    // No SDK registered: nothing records, so a span only carries on a trace received (or an
    // active span's): without one, this is the whole cost of a call.
    if (this.#sdk === undefined && !this.#sdkRegistered() && (remote ? headers?.[TRACEPARENT_HEADER] === undefined : parent?.traceparent === undefined && trace.getSpan(context.active()) === undefined)) {
      return UNTRACED;
    }
    const parentContext = remote ? remoteContext(headers) : localContext(parent);
    const rpc = start.service !== "" || start.kind === "client" || start.kind === "server";
    const span = (this.#sdk ?? this.#tracer).startSpan(spanName(start, rpc), { kind: otelKind(start.kind), attributes: attributes(start, rpc) }, parentContext);
    // Nothing records (no SDK, or not sampled) and there is no trace to carry on: send nothing, cost nothing more.
    if (!span.isRecording() && !isSpanContextValid(span.spanContext())) return UNTRACED;
    const traced = new OtelSpan(span, start.kind, rpc);
    if (span.isRecording()) this.#links.watch(start.transport, traced);
    return traced;
  }

  /** Whether an SDK registered with the global provider since (remembered once it has). */
  #sdkRegistered(): boolean {
    const sdk = this.#global?.getDelegateTracer(this.#name);
    if (sdk === undefined) return false;
    this.#sdk = sdk;
    return true;
  }
}

/** OpenTelemetry's global provider (ProxyTracerProvider): a tracer of the SDK registered with it, or undefined before one is. */
interface GlobalProvider extends TracerProvider {
  getDelegateTracer(name: string): Tracer | undefined;
}

function isGlobalProvider(provider: TracerProvider): provider is GlobalProvider {
  return typeof (provider as Partial<GlobalProvider>).getDelegateTracer === "function";
}

function spanName(start: SpanStart, rpc: boolean): string {
  if (rpc) return start.service === "" ? start.method : `${start.service}/${start.method}`;
  return `${start.kind === "producer" ? "publish" : "process"} ${start.method}`;
}

function attributes(start: SpanStart, rpc: boolean): Attributes {
  const agent = start.transport?.localAddress;
  const out: Attributes = rpc
    ? { [RPC_ATTRIBUTES.system]: start.system, [RPC_ATTRIBUTES.method]: start.method }
    : {
        [MESSAGING_ATTRIBUTES.system]: start.system,
        [MESSAGING_ATTRIBUTES.destination]: start.method,
        [MESSAGING_ATTRIBUTES.operationType]: start.kind === "producer" ? "send" : "process",
        [MESSAGING_ATTRIBUTES.operationName]: start.kind === "producer" ? "publish" : "process",
      };
  if (rpc && start.service !== "") out[RPC_ATTRIBUTES.service] = start.service;
  if (start.peer !== "") out[SWARM_ATTRIBUTES.peer] = start.peer;
  if (agent !== undefined) out[SWARM_ATTRIBUTES.agent] = agent;
  return out;
}

/** The parent of a server or consumer span: the remote span named by `traceparent`, else none (a new trace). */
function remoteContext(headers: Readonly<Record<string, string>> | undefined): Context {
  const parsed = parseTraceParent(headers?.[TRACEPARENT_HEADER]);
  if (parsed === undefined) return ROOT_CONTEXT;
  const state = headers![TRACESTATE_HEADER];
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: parsed.traceId,
    spanId: parsed.spanId,
    traceFlags: parsed.flags,
    isRemote: true,
    ...(state === undefined || state === "" ? {} : { traceState: createTraceState(state) }),
  });
}

/** The parent of a client or producer span (see the class). */
function localContext(parent: TraceSpan | undefined): Context {
  const active = context.active();
  if (parent === undefined) return active;
  const activeSpan = trace.getSpan(active);
  const parentOtel = parent instanceof OtelSpan ? parent.otel : undefined;
  if (activeSpan !== undefined && parentOtel !== undefined && activeSpan.spanContext().traceId === parentOtel.spanContext().traceId) return active;
  if (parentOtel !== undefined) return trace.setSpan(active, parentOtel);
  // another tracer's span: continue it through its traceparent
  return remoteContext(parent.traceparent === undefined ? undefined : { [TRACEPARENT_HEADER]: parent.traceparent, ...(parent.tracestate === undefined ? {} : { [TRACESTATE_HEADER]: parent.tracestate }) });
}
