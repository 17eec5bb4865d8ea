import { Envelope } from "../../generated/swarm/transport/v1/envelope.js";
import { ProtocolError } from "./protocol-error.js";
import { validateEnvelope } from "./codec.js";

/**
 * The proto3 JSON form of an envelope, for logs and debugging (not a wire format of any
 * transport). Bytes appear as base64, 64-bit integers as numbers.
 */
export function envelopeToJson(envelope: Envelope, space?: number): string {
  return JSON.stringify(Envelope.toJSON(envelope), null, space);
}

/** Parses what `envelopeToJson` wrote. Throws `SerializationError` for anything else. */
export function envelopeFromJson(text: string): Envelope {
  let envelope: Envelope;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Error("expected a JSON object");
    }
    envelope = Envelope.fromJSON(parsed);
  } catch (error) {
    throw new ProtocolError("SerializationError", `malformed JSON envelope: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error });
  }
  validateEnvelope(envelope);
  return envelope;
}
