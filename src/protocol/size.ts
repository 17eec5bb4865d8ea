import type { Envelope } from "../../generated/swarm/transport/v1/envelope.js";
import { TransportError } from "../transport/errors.js";

/** Deepest nesting accepted in a payload; matches the generated decoder's recursion limit. */
export const MAX_NESTING_DEPTH = 100;

// Budget per node, in bytes: a field tag (<= 5) and a length prefix (<= 5) for the node, the
// same again for a wrapper (google.protobuf.Value / a map entry), and 10 for a varint or a double.
const NODE = 32;

/**
 * An upper bound of `Envelope.encode(envelope).length`, from a walk over the object graph that
 * encodes nothing. Strings count 3 bytes per UTF-16 unit (UTF-8 never needs more), bytes their
 * length, every other node a fixed budget that covers its tag, length and wrapper. It is
 * schema-agnostic, so it stays an upper bound when the generated types grow. Throws a
 * `SerializationError` for payloads nested deeper than MAX_NESTING_DEPTH (or cyclic).
 */
export function envelopeSizeUpperBound(envelope: Envelope): number {
  return bound(envelope, 0);
}

function bound(value: unknown, depth: number): number {
  switch (typeof value) {
    case "string":
      return NODE + 3 * value.length;
    case "number":
    case "boolean":
    case "bigint":
      return NODE;
    case "undefined":
      return 0;
    case "object": {
      if (value === null) return NODE;
      if (value instanceof Uint8Array) return NODE + value.byteLength;
      if (depth >= MAX_NESTING_DEPTH) {
        throw new TransportError("SerializationError", `payload nested deeper than ${MAX_NESTING_DEPTH} levels (or cyclic)`);
      }
      let total = NODE;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) total += bound(value[i], depth + 1);
      } else {
        // Own enumerable keys only: class instances (like the RPC layer's lazily encoded data)
        // keep what they encode in own fields.
        const keys = Object.keys(value);
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]!;
          total += NODE + 3 * key.length + bound((value as Record<string, unknown>)[key], depth + 1);
        }
      }
      return total;
    }
    default:
      // functions and symbols are not encodable; the encoder will say so if they reach it.
      return NODE;
  }
}
