import type { CallContext } from "./call-context.js";

/** Options of one client call. */
export interface CallOptions {
  /** Cancels the call: the caller gets CANCELLED and the server's `ctx.signal` aborts. */
  signal?: AbortSignal | undefined;
  /**
   * When the call gives up with DEADLINE_EXCEEDED: ms from now (a number) or a point in time
   * (a Date). Default: the remaining time of `parent` when it has a deadline, else the
   * client's `timeoutMs`. With a parent, a longer deadline is cut to the parent's. A deadline
   * already passed (0 or less, or a past Date) fails the call at once with DEADLINE_EXCEEDED:
   * nothing is sent.
   */
  deadline?: number | Date | undefined;
  /**
   * The call a handler serves while it makes this one (its `context`): this call inherits its
   * deadline (the remaining time) and is cancelled when it ends. Undefined: the active call of
   * the installed context manager (`enableAsyncCallContext` in Node), if any; `null`: none, for
   * work that must outlive the call being served.
   */
  parent?: CallContext | null | undefined;
  /** Request metadata, sent as the request envelope's headers. */
  metadata?: Record<string, string> | undefined;
  /** Receives the response headers when they arrive. */
  onHeader?: ((header: Readonly<Record<string, string>>) => void) | undefined;
  /** Receives the response trailers when the call ends (also on error). */
  onTrailer?: ((trailer: Readonly<Record<string, string>>) => void) | undefined;
}
