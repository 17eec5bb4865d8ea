import type { CallKind } from "../rpc/definitions.js";
import type { TraceSpan } from "../trace/tracing.js";

/**
 * A message as a client wrote it ⇄ the protobuf bytes an agent takes: unchanged for binary
 * protocols (`+proto`), proto3 JSON converted with the method's schema for `+json` ones.
 */
export interface MessageCodec {
  /** Whether messages are JSON text (UTF-8). */
  readonly json: boolean;
  /** A request message → protobuf bytes; throws INVALID_ARGUMENT when it is not the request type. */
  request(data: Uint8Array): Uint8Array;
  /** A response message (protobuf bytes) → what the client reads; throws INTERNAL. */
  response(data: Uint8Array): Uint8Array;
}

/** Everything the edge decided about a call before it starts. */
export interface CallPlan {
  /** "/package.Service/Method" */
  readonly path: string;
  /** The metrics label: the path, or "unregistered" for a method the edge knows no schema or announcement of. */
  readonly label: string;
  /** The agent the call goes to. */
  readonly target: string;
  /** From the schema or the agents' announcement; undefined when unknown (see EnvelopedCall). */
  readonly kind: CallKind | undefined;
  /** The call's timeout in ms; 0: none. */
  readonly timeoutMs: number;
  readonly metadata: Record<string, string> | undefined;
  readonly codec: MessageCodec;
  /** When the request arrived (`performance.now()`), for the call's latency. */
  readonly started: number;
  /** The span of the HTTP request, when a tracer is installed; it ends when the call is observed. */
  readonly span: TraceSpan | undefined;
}

/** Binary messages: passed through untouched. */
export const PROTO_CODEC: MessageCodec = Object.freeze({
  json: false,
  request: (data: Uint8Array) => data,
  response: (data: Uint8Array) => data,
});
