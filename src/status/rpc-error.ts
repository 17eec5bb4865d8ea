import { TransportError, type TransportErrorCode } from "../transport/errors.js";
import { Status, statusName } from "./status.js";

const brand = Symbol.for("swarm-transport.RpcError");

/** Options of an RpcError beyond its code and message. */
export interface RpcErrorOptions {
  /** Structured details: a JSON value or protobuf bytes, sent to the caller. */
  details?: unknown;
  /** Response metadata that came with the error (trailers). */
  metadata?: Readonly<Record<string, string>>;
  cause?: unknown;
}

/**
 * The error of a failed call, on both sides: a handler throws it to choose the status the
 * caller sees; a caller catches it and switches on `code`. The message starts with the
 * status name: `DEADLINE_EXCEEDED: deadline of 500 ms exceeded calling /pkg.Svc/Method`.
 */
export class RpcError extends Error {
  override readonly name = "RpcError";
  readonly code: Status;
  /** The message without the status prefix, as sent on the wire. */
  readonly rawMessage: string;
  readonly details: unknown;
  readonly metadata: Readonly<Record<string, string>>;

  constructor(code: Status, message: string, options: RpcErrorOptions = {}) {
    super(`${statusName(code)}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.rawMessage = message;
    this.details = options.details;
    this.metadata = options.metadata ?? {};
    Object.defineProperty(this, brand, { value: true });
  }

  /** `instanceof` works across two copies of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses inherit this method: for them, plain prototype-chain semantics.
    if (this !== RpcError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  /**
   * Any thrown value as an RpcError: RpcErrors pass through; aborts become CANCELLED, a
   * `TimeoutError` (e.g. from `AbortSignal.timeout`) DEADLINE_EXCEEDED, transport faults their
   * gRPC equivalent (a transport `Timeout` is UNAVAILABLE: only a call's own deadline is
   * DEADLINE_EXCEEDED), anything else UNKNOWN.
   */
  static from(error: unknown): RpcError {
    if (error instanceof RpcError) return error;
    if (error instanceof TransportError) {
      return new RpcError(TRANSPORT_TO_STATUS[error.code], error.message, { cause: error });
    }
    if (error instanceof Error || (typeof DOMException !== "undefined" && error instanceof DOMException)) {
      const name = (error as Error).name;
      if (name === "AbortError") return new RpcError(Status.CANCELLED, (error as Error).message || "aborted", { cause: error });
      if (name === "TimeoutError") return new RpcError(Status.DEADLINE_EXCEEDED, (error as Error).message || "timed out", { cause: error });
      return new RpcError(Status.UNKNOWN, (error as Error).message, { cause: error });
    }
    return new RpcError(Status.UNKNOWN, String(error), { cause: error });
  }
}

const TRANSPORT_TO_STATUS: Record<TransportErrorCode, Status> = {
  ConnectionError: Status.UNAVAILABLE,
  SerializationError: Status.INTERNAL,
  MessageTooLarge: Status.RESOURCE_EXHAUSTED,
  NotAvailable: Status.UNAVAILABLE,
  // A send that waited past the transport's limit: the peer could not be reached in time.
  // Calls with a deadline never see it (their sends wait until the deadline ends the call).
  Timeout: Status.UNAVAILABLE,
  InvalidAddress: Status.UNAVAILABLE,
  AddressInUse: Status.FAILED_PRECONDITION,
  VersionMismatch: Status.FAILED_PRECONDITION,
  QueueFull: Status.RESOURCE_EXHAUSTED,
  Aborted: Status.CANCELLED,
  Closed: Status.UNAVAILABLE,
  Unauthenticated: Status.UNAUTHENTICATED,
};
