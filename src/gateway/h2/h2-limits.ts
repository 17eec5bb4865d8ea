/**
 * The bounds of the edge's own HTTP/2 connections: what a client may have the edge hold, read or
 * answer, and for how long. docs/gateway.md lists them in a table; docs/security.md says which
 * attack each one answers.
 */

/** Limits of one HTTP/2 connection, all set (see `H2_DEFAULTS`). */
export interface H2Limits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: a stream past it is refused (RST_STREAM REFUSED_STREAM). */
  maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: bytes a client may send on a stream before the edge reads them. */
  streamWindowBytes: number;
  /** Bytes a client may send on the connection before the edge reads them. */
  connectionWindowBytes: number;
  /**
   * SETTINGS_MAX_HEADER_LIST_SIZE (names, values and 32 bytes a field): a request past it is
   * answered 431. Its header block (HEADERS + CONTINUATION, compressed) may not be larger either,
   * nor span more than `MAX_CONTINUATIONS` frames: past that the connection ends
   * (ENHANCE_YOUR_CALM), before anything is decoded.
   */
  maxHeaderListBytes: number;
  /**
   * Streams a client may reset, have refused or reset for its errors, and empty DATA frames it
   * may send, in a burst: a bucket of this many, refilled at `maxResetsPerSecond`. Past it the
   * connection ends with GOAWAY ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487).
   */
  maxResetBurst: number;
  /** The bucket's refill rate, per second. */
  maxResetsPerSecond: number;
  /**
   * A connection without a stream open for this long gets GOAWAY NO_ERROR and closes, whatever
   * the client sends meanwhile (PINGs, a frame trickled byte by byte); one with streams open whose
   * client neither reads nor sends while the edge holds bytes for it gets ENHANCE_YOUR_CALM.
   */
  idleTimeoutMs: number;
  /** A client that has not acknowledged the edge's SETTINGS this long after the connection opened gets GOAWAY SETTINGS_TIMEOUT. */
  settingsTimeoutMs: number;
  /** Past this much in the socket towards a client, DATA waits and the edge stops reading that client until it drains. */
  maxSocketBufferBytes: number;
  /** Response bytes one stream may have waiting for the client's window; past it the stream is reset (ENHANCE_YOUR_CALM). */
  maxStreamBufferBytes: number;
  /** All a connection holds for its client (waiting responses, the socket's buffer, open streams' headers); past it GOAWAY ENHANCE_YOUR_CALM. */
  maxConnectionBufferBytes: number;
}

/** The defaults: node:http2's where it has one. */
export const H2_DEFAULTS: Readonly<H2Limits> = Object.freeze({
  maxConcurrentStreams: 1000,
  streamWindowBytes: 1024 * 1024,
  connectionWindowBytes: 8 * 1024 * 1024,
  maxHeaderListBytes: 64 * 1024,
  // nghttp2's defaults since 1.57 (node 20): a burst of 1000, 33 a second
  maxResetBurst: 1000,
  maxResetsPerSecond: 33,
  idleTimeoutMs: 120_000,
  settingsTimeoutMs: 10_000,
  maxSocketBufferBytes: 4 * 1024 * 1024,
  maxStreamBufferBytes: 16 * 1024 * 1024,
  maxConnectionBufferBytes: 64 * 1024 * 1024,
});

/** CONTINUATION frames one header block may have (nghttp2 allows 8; a 64 KiB block in 16 KiB frames needs 4). */
export const MAX_CONTINUATIONS = 16;

/** PING and SETTINGS ACKs the edge may owe a client at once, unwritten (nghttp2's max_outbound_ack). */
export const MAX_PENDING_ACKS = 1000;

/** The limits with `options` over the defaults; throws a RangeError naming a bad one. */
export function resolveH2Limits(options: Partial<H2Limits>): H2Limits {
  const limits = { ...H2_DEFAULTS };
  for (const key of Object.keys(H2_DEFAULTS) as (keyof H2Limits)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new RangeError(`http2.${key} must be an integer >= 0, got ${String(value)}`);
    limits[key] = value;
  }
  if (limits.maxConcurrentStreams > 0x7fff_ffff) throw new RangeError(`http2.maxConcurrentStreams must be at most 2^31-1, got ${limits.maxConcurrentStreams}`);
  if (limits.streamWindowBytes > 0x7fff_ffff || limits.connectionWindowBytes > 0x7fff_ffff) throw new RangeError("http2 windows must be at most 2^31-1 bytes");
  // a connection's window starts at 65,535 whatever SETTINGS say (RFC 9113 §6.9.2): a smaller bound would refuse what a client may send
  if (limits.connectionWindowBytes < 65_535) throw new RangeError(`http2.connectionWindowBytes must be at least 65535, got ${limits.connectionWindowBytes}`);
  for (const key of ["idleTimeoutMs", "settingsTimeoutMs"] as const) {
    if (limits[key] === 0) throw new RangeError(`http2.${key} must be > 0, got 0`);
  }
  return limits;
}
