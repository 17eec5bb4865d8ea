import type { TraceSpan } from "../trace/tracing.js";
import type { MethodInfo } from "./definitions.js";

/** What a handler knows about the call it serves. */
export interface CallContext {
  /** The method being called (for untyped methods, `path` is the method name and `kind` "unary"). */
  readonly method: Pick<MethodInfo, "path" | "kind">;
  /** Address of the caller. */
  readonly peer: string;
  /** Request metadata (the request envelope's headers). */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * Aborts when the call ends: its deadline passed (this side enforces it, whether or not a
   * Cancel arrives), the caller cancelled or vanished, the server closed, or the call finished.
   * The reason is an RpcError (DEADLINE_EXCEEDED, CANCELLED, UNAVAILABLE). Stop work when it fires.
   */
  readonly signal: AbortSignal;
  /**
   * The call's deadline as ms since the Unix epoch on this side's clock, or undefined when the
   * caller set none. It is the caller's timeout measured from when the request arrived here, so
   * clock skew between machines does not move it.
   */
  readonly deadline: number | undefined;
  /** Ms left until the deadline (negative once passed), or undefined without one. */
  remainingMs(): number | undefined;
  /** Response headers: set them before the first response message is sent. */
  readonly header: Record<string, string>;
  /** Response trailers: sent with the outcome. */
  readonly trailer: Record<string, string>;
  /**
   * The call's span when a tracer is installed (`setTracing`, or `enableOpenTelemetry()` from
   * "swarm-transport/otel"): calls and publishes the handler makes continue its trace. Its
   * `traceparent` names it (for logs); undefined without a tracer.
   */
  readonly span?: TraceSpan | undefined;
}
