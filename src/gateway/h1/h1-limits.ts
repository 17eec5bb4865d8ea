/**
 * The bounds of the edge's own HTTP/1.1 connections: how large and how many request heads, how
 * long a request and an idle connection may take, how many requests may wait for their answers.
 * docs/gateway.md lists them in a table; docs/security.md says which attack each one answers.
 */

/** Limits of one HTTP/1.1 connection, all set (see `H1_DEFAULTS`). */
export interface H1Limits {
  /** A request head (request line and fields) past this is answered 431 and the connection closed. */
  maxHeadBytes: number;
  /** A request with more header fields is answered 431 and the connection closed. */
  maxHeaderCount: number;
  /**
   * A request head must be complete this long after its first byte (or after the connection
   * opened, for its first request); else 408 and the connection closes (slowloris).
   */
  headersTimeoutMs: number;
  /** A whole request, body included, must have arrived this long after its first byte; else 408 (a slow body). */
  requestTimeoutMs: number;
  /** A keep-alive connection with nothing in progress closes after this long. */
  idleTimeoutMs: number;
  /**
   * A client that takes none of the answers waiting for it, and sends nothing, for this long
   * has its connection closed (a client that never reads holds it for ever otherwise).
   */
  stallTimeoutMs: number;
  /** Requests read ahead of their answers (pipelining); past it the edge reads no more until one is answered. */
  maxPipelinedRequests: number;
  /** A request whose content-length is larger is answered 413 before any of its body is read, and the connection closed. */
  maxBodyBytes: number;
}

/** The defaults: node:http's where it has one (its headersTimeout, requestTimeout, keepAliveTimeout). */
export const H1_DEFAULTS: Readonly<H1Limits> = Object.freeze({
  maxHeadBytes: 64 * 1024,
  maxHeaderCount: 100,
  headersTimeoutMs: 60_000,
  requestTimeoutMs: 300_000,
  idleTimeoutMs: 5000,
  // as HTTP/2's idleTimeoutMs for a client that neither reads nor sends
  stallTimeoutMs: 120_000,
  maxPipelinedRequests: 32,
  maxBodyBytes: 64 * 1024 * 1024,
});

/** The limits with `options` over the defaults; throws a RangeError naming a bad one. */
export function resolveH1Limits(options: Partial<H1Limits>): H1Limits {
  const limits = { ...H1_DEFAULTS };
  for (const key of Object.keys(H1_DEFAULTS) as (keyof H1Limits)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) throw new RangeError(`http1.${key} must be an integer > 0, got ${String(value)}`);
    limits[key] = value;
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) throw new RangeError(`http1.headersTimeoutMs (${limits.headersTimeoutMs}) must not be longer than http1.requestTimeoutMs (${limits.requestTimeoutMs})`);
  return limits;
}
