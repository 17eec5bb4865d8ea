/**
 * Every failure a transport reports, as a closed set of string codes. Callers switch on
 * `error.code`, never on message text. The README's "Error codes" table lists them.
 */
export type TransportErrorCode =
  /** The connection could not be made, or broke. */
  | "ConnectionError"
  /** Bytes could not be encoded or decoded as a frame (malformed, truncated, bad flags). */
  | "SerializationError"
  /** A message is larger than `maxMessageSize`; `size` and `max` say by how much. */
  | "MessageTooLarge"
  /** The requested transport or feature does not exist in this build or environment. */
  | "NotAvailable"
  /** An operation did not finish within its time limit. */
  | "Timeout"
  /** No endpoint has this address, or the address is malformed. */
  | "InvalidAddress"
  /** The address is already taken by another endpoint. */
  | "AddressInUse"
  /** The peer speaks an incompatible protocol major version; `expected`/`actual` name both. */
  | "VersionMismatch"
  /** The receiver's queue and its waiting senders are both at their bounds. */
  | "QueueFull"
  /** The operation was cancelled through its AbortSignal. */
  | "Aborted"
  /** The transport is closed (or closed while the operation was pending). */
  | "Closed"
  /** The peer refused this endpoint's credentials (e.g. a hub's authentication hook). */
  | "Unauthenticated";

/** Structured facts attached to some codes. */
export interface TransportErrorDetails {
  /** MessageTooLarge: the offending size in bytes. */
  size?: number;
  /** MessageTooLarge: the configured limit in bytes. */
  max?: number;
  /** VersionMismatch: the version this side speaks, e.g. "1.0.0". */
  expected?: string;
  /** VersionMismatch: the version the peer announced. */
  actual?: string;
  /** InvalidAddress / AddressInUse: the address involved. */
  address?: string;
}

const brand = Symbol.for("swarm-transport.TransportError");

/**
 * The one error class of the transport layer. Its message starts with the code and names the
 * values involved, e.g. `MessageTooLarge: message of 11534336 bytes exceeds maxMessageSize 10485760`.
 */
export class TransportError extends Error {
  override readonly name = "TransportError";
  readonly code: TransportErrorCode;
  readonly size?: number;
  readonly max?: number;
  readonly expected?: string;
  readonly actual?: string;
  readonly address?: string;

  constructor(code: TransportErrorCode, message: string, details: TransportErrorDetails = {}, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
    if (details.size !== undefined) this.size = details.size;
    if (details.max !== undefined) this.max = details.max;
    if (details.expected !== undefined) this.expected = details.expected;
    if (details.actual !== undefined) this.actual = details.actual;
    if (details.address !== undefined) this.address = details.address;
    Object.defineProperty(this, brand, { value: true });
  }

  /** `instanceof` works across two copies of this package (e.g. a bundled and a Node copy). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses inherit this method: for them, plain prototype-chain semantics.
    if (this !== TransportError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  /** A message larger than `max` bytes. */
  static tooLarge(size: number, max: number, what = "message"): TransportError {
    return new TransportError("MessageTooLarge", `${what} of ${size} bytes exceeds maxMessageSize ${max}`, { size, max });
  }

  /** The operation found the transport closed. */
  static closed(what: string): TransportError {
    return new TransportError("Closed", `${what} is closed`);
  }

  /** Whether `error` is a TransportError with `code`. */
  static is(error: unknown, code?: TransportErrorCode): error is TransportError {
    return error instanceof TransportError && (code === undefined || error.code === code);
  }
}
