import { RequestError, NoRespondersError, TimeoutError } from "@nats-io/transport-node";
import { TransportError, type TransportErrorCode } from "../../transport/errors.js";

/** Whether a NATS request failed because no one is subscribed to its subject. */
export function isNoResponders(error: unknown): boolean {
  return error instanceof NoRespondersError || (error instanceof RequestError && error.isNoResponders());
}

/** A NATS client error as a TransportError: timeouts as `Timeout`, anything else as `code`, with `what` first. */
export function natsError(error: unknown, code: TransportErrorCode, what: string): TransportError {
  if (TransportError.is(error)) return error;
  const timedOut = error instanceof TimeoutError || (error instanceof RequestError && error.cause instanceof TimeoutError);
  const detail = error instanceof Error ? error.message : String(error);
  return new TransportError(timedOut ? "Timeout" : code, `${what}: ${detail}`, {}, { cause: error });
}

/** The client hands payloads over as Buffers; a plain view makes decoded `bytes` fields Uint8Arrays, as on every other transport. */
export function plainBytes(data: Uint8Array): Uint8Array {
  return data.constructor === Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
