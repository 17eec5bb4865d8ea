/** Options of one client call. */
export interface CallOptions {
  /** Cancels the call: the caller gets CANCELLED and the server's `ctx.signal` aborts. */
  signal?: AbortSignal | undefined;
  /**
   * When the call gives up with DEADLINE_EXCEEDED: ms from now (a number) or a point in time
   * (a Date). Default: the client's `timeoutMs`.
   */
  deadline?: number | Date | undefined;
  /** Request metadata, sent as the request envelope's headers. */
  metadata?: Record<string, string> | undefined;
  /** Receives the response headers when they arrive. */
  onHeader?: ((header: Readonly<Record<string, string>>) => void) | undefined;
  /** Receives the response trailers when the call ends (also on error). */
  onTrailer?: ((trailer: Readonly<Record<string, string>>) => void) | undefined;
}
