/** The failures the wire layer itself reports: bytes that do not decode, sizes past a limit, versions that do not match. */
export type ProtocolErrorCode =
  /** Bytes could not be encoded or decoded as a frame (malformed, truncated, bad flags, nesting too deep). */
  | "SerializationError"
  /** A message is larger than `maxMessageSize`; `size` and `max` say by how much. */
  | "MessageTooLarge"
  /** The peer speaks an incompatible protocol major version; `expected`/`actual` name both. */
  | "VersionMismatch";

/** Structured facts attached to some codes. */
export interface ProtocolErrorDetails {
  /** MessageTooLarge: the offending size in bytes. */
  size?: number;
  /** MessageTooLarge: the configured limit in bytes. */
  max?: number;
  /** VersionMismatch: the version this side speaks, e.g. "1.0.0". */
  expected?: string;
  /** VersionMismatch: the version the peer announced. */
  actual?: string;
}

/** Marks every error of the family (ProtocolError and TransportError), across copies of the package. */
export const ERROR_FAMILY_BRAND = Symbol.for("swarm-transport.TransportError");

/**
 * The wire layer's error: framing, codecs, size bounds and version negotiation throw it. It is
 * the base of `TransportError`, and `instanceof TransportError` / `TransportError.is` hold for
 * it too, so a wire error surfaces through a transport unchanged. Its message starts with the
 * code and names the values involved.
 */
export class ProtocolError<Code extends string = ProtocolErrorCode> extends Error {
  override readonly name: string = "ProtocolError";
  readonly code: Code;
  readonly size?: number;
  readonly max?: number;
  readonly expected?: string;
  readonly actual?: string;

  constructor(code: Code, message: string, details: ProtocolErrorDetails = {}, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
    if (details.size !== undefined) this.size = details.size;
    if (details.max !== undefined) this.max = details.max;
    if (details.expected !== undefined) this.expected = details.expected;
    if (details.actual !== undefined) this.actual = details.actual;
    Object.defineProperty(this, ERROR_FAMILY_BRAND, { value: true });
  }

  /** `instanceof` works across two copies of this package (e.g. a bundled and a Node copy). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== ProtocolError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[ERROR_FAMILY_BRAND] === true;
  }

  /** A message larger than `max` bytes. */
  static sizeExceeded(size: number, max: number, what = "message"): ProtocolError {
    return new ProtocolError("MessageTooLarge", `${what} of ${size} bytes exceeds maxMessageSize ${max}`, { size, max });
  }

  /** Bytes that do not decode (or a value that does not encode). */
  static serialization(message: string, cause?: unknown): ProtocolError {
    return new ProtocolError("SerializationError", message, {}, cause === undefined ? undefined : { cause });
  }
}
