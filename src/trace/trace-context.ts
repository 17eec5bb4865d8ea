/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate`
 * headers that name the span a message was sent from. Pure functions over strings.
 *
 *   traceparent: 00-<trace-id: 32 hex>-<parent-id: 16 hex>-<flags: 2 hex>
 *                00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01   (01: sampled)
 */

/** The header naming the trace and the sender's span. */
export const TRACEPARENT_HEADER = "traceparent";
/** The header carrying vendor-specific trace state alongside `traceparent`. */
export const TRACESTATE_HEADER = "tracestate";

/** The fields of a `traceparent` header. */
export interface TraceParent {
  /** 32 lower-case hex digits, not all zero. */
  readonly traceId: string;
  /** The sender's span id: 16 lower-case hex digits, not all zero. */
  readonly spanId: string;
  /** Trace flags; bit 0 (1) is "sampled". */
  readonly flags: number;
}

const VERSION_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
// A later version may append fields after the flags; its first four fields read as version 00's.
const FUTURE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/**
 * The fields of a `traceparent` value, or undefined when it is not one a receiver may continue
 * (malformed, version ff, an all-zero trace or span id): the receiver then starts a new trace,
 * as the specification says.
 */
export function parseTraceParent(value: string | undefined): TraceParent | undefined {
  if (value === undefined || value.length < 55) return undefined;
  const text = value.trim();
  let traceId: string;
  let spanId: string;
  let flags: string;
  const current = VERSION_00.exec(text);
  if (current !== null) {
    [, traceId, spanId, flags] = current as unknown as [string, string, string, string];
  } else {
    const future = FUTURE.exec(text);
    if (future === null || future[1] === "00" || future[1] === "ff") return undefined;
    [, , traceId, spanId, flags] = future as unknown as [string, string, string, string, string];
  }
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
}

/** The `traceparent` value (version 00) of a span. */
export function formatTraceParent(parent: TraceParent): string {
  return `00-${parent.traceId}-${parent.spanId}-${(parent.flags & 0xff).toString(16).padStart(2, "0")}`;
}
