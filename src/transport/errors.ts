import { ERROR_FAMILY_BRAND, ProtocolError, type ProtocolErrorDetails } from "../protocol/protocol-error.js";

/**
 * Every failure a transport reports, as a closed set of string codes. Callers switch on
 * `error.code`, never on message text. docs/errors.md lists them.
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
export interface TransportErrorDetails extends ProtocolErrorDetails {
  /** InvalidAddress / AddressInUse: the address involved. */
  address?: string;
}

/**
 * The one error class of the transport layer. Its message starts with the code and names the
 * values involved, e.g. `MessageTooLarge: message of 11534336 bytes exceeds maxMessageSize 10485760`.
 * It extends the wire layer's `ProtocolError`; `instanceof TransportError` and
 * `TransportError.is` also hold for a `ProtocolError` (whose codes are a subset of these).
 */
export class TransportError extends ProtocolError<TransportErrorCode> {
  override readonly name: string = "TransportError";
  readonly address?: string;

  constructor(code: TransportErrorCode, message: string, details: TransportErrorDetails = {}, options?: { cause?: unknown }) {
    super(code, message, details, options);
    if (details.address !== undefined) this.address = details.address;
  }

  /** `instanceof` works across two copies of this package, and for the wire layer's ProtocolError. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses inherit this method: for them, plain prototype-chain semantics.
    if (this !== TransportError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[ERROR_FAMILY_BRAND] === true;
  }

  /** A message larger than `max` bytes. */
  static tooLarge(size: number, max: number, what = "message"): TransportError {
    return new TransportError("MessageTooLarge", `${what} of ${size} bytes exceeds maxMessageSize ${max}`, { size, max });
  }

  /** The operation found the transport closed. */
  static closed(what: string): TransportError {
    return new TransportError("Closed", `${what} is closed`);
  }

  /** Whether `error` is a TransportError (or ProtocolError) with `code`. */
  static is(error: unknown, code?: TransportErrorCode): error is TransportError {
    return error instanceof TransportError && (code === undefined || error.code === code);
  }

  /** `error` as a TransportError: itself when it is one, else `code` with its message (and it as the cause). */
  static from(error: unknown, code: TransportErrorCode = "SerializationError"): TransportError {
    if (TransportError.is(error)) return error;
    return new TransportError(code, error instanceof Error ? error.message : String(error), {}, { cause: error });
  }
}
