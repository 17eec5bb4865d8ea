import type { Data } from "../../generated/swarm/transport/v1/data.js";
import type { Envelope } from "../../generated/swarm/transport/v1/envelope.js";
import { checkEnvelopeLimits } from "./limits.js";
import { ProtocolError } from "./protocol-error.js";

/**
 * Deepest walk into a value before it is taken for cyclic. JSON payloads have their own, lower
 * limit (`MAX_NESTING_DEPTH`, checked with the other wire limits); this one guards the generic
 * walk of typed message objects.
 */
const MAX_WALK_DEPTH = 100;

// Budget per node, in bytes: a field tag (<= 5) and a length prefix (<= 5) for the node, the
// same again for a wrapper (google.protobuf.Value / a map entry), and 10 for a varint or a double.
const NODE = 32;

/**
 * A `Data` that knows an upper bound of its own encoded size without being encoded (the RPC
 * layer's lazily encoded typed messages). Reading `kind` of such data would encode it.
 */
export interface SelfSizedData extends Data {
  sizeUpperBound(): number;
}

/**
 * An upper bound of `Envelope.encode(envelope).length`, computed without encoding anything.
 *
 * The envelope's own fields are counted directly (a fixed budget for every scalar, 3 bytes per
 * UTF-16 unit of a string, since UTF-8 never needs more); payload data, whose shape is the
 * application's, is walked generically: bytes count their length, every other node a fixed
 * budget covering its tag, length prefix and wrapper. Arms without large data (heartbeat,
 * control) and any arm added later are walked generically too, so the result stays an upper
 * bound as the schema grows (the property test in test/protocol/size.test.ts checks it).
 * Throws a `SerializationError` for an envelope past a wire limit (`checkEnvelopeLimits`: ids,
 * headers, JSON nesting), as the encoders do, and for a cyclic value.
 */
export function envelopeSizeUpperBound(envelope: Envelope): number {
  checkEnvelopeLimits(envelope);
  const destination = envelope.destination;
  return (
    ENVELOPE_SCALARS +
    3 * envelope.source.length +
    (destination === undefined ? 0 : NODE + 3 * destination.length) +
    mapBound(envelope.headers) +
    payloadBound(envelope.payload)
  );
}

/** The bound of one `Data` (exported for self-sized data that wraps a message). */
export function dataSizeUpperBound(data: Data | undefined): number {
  if (data === undefined) return 0;
  if (typeof (data as Partial<SelfSizedData>).sizeUpperBound === "function") return (data as SelfSizedData).sizeUpperBound();
  const kind = data.kind;
  const name = NODE + 3 * data.typeName.length;
  if (kind === undefined) return NODE + name;
  if (kind.$case === "binary") return 2 * NODE + name + kind.value.byteLength;
  return 2 * NODE + name + bound(kind.value, 1);
}

/** The bound of any value: the generic walk (JSON values, message objects). */
export function valueSizeUpperBound(value: unknown): number {
  return bound(value, 0);
}

// id, timestamp, version (3 varints in a message), priority, ttl, the payload's tag and length.
const ENVELOPE_SCALARS = 12 * 16 + 64;

function payloadBound(payload: Envelope["payload"]): number {
  if (payload === undefined) return 0;
  switch (payload.$case) {
    case "request": {
      const request = payload.value;
      return 4 * NODE + 3 * request.method.length + dataSizeUpperBound(request.params);
    }
    case "response": {
      const response = payload.value;
      const outcome = response.outcome;
      let total = 4 * NODE + mapBound(response.trailers);
      if (outcome?.$case === "result") total += dataSizeUpperBound(outcome.value);
      else if (outcome?.$case === "error") total += 4 * NODE + 3 * outcome.value.message.length + dataSizeUpperBound(outcome.value.details);
      return total;
    }
    case "event":
      return 3 * NODE + 3 * payload.value.name.length + dataSizeUpperBound(payload.value.data);
    case "broadcast":
      return 3 * NODE + 3 * payload.value.topic.length + dataSizeUpperBound(payload.value.data);
    case "stream": {
      const frame = payload.value.frame;
      return 5 * NODE + (frame?.$case === "message" ? dataSizeUpperBound(frame.value) : 0);
    }
    default:
      return bound(payload, 0);
  }
}

function mapBound(map: Record<string, string>): number {
  let total = 0;
  for (const key in map) total += 2 * NODE + 3 * (key.length + map[key]!.length);
  return total;
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
      if (depth >= MAX_WALK_DEPTH) {
        throw new ProtocolError("SerializationError", `value nested deeper than ${MAX_WALK_DEPTH} levels (or cyclic)`);
      }
      let total = NODE;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) total += bound(value[i], depth + 1);
      } else {
        // Enumerable keys: class instances (like the RPC layer's lazily encoded data) keep what
        // they encode in own fields; inherited enumerable ones only add to the bound. for-in
        // reads V8's enum cache without allocating the array Object.keys would.
        for (const key in value) total += NODE + 3 * key.length + bound((value as Record<string, unknown>)[key], depth + 1);
      }
      return total;
    }
    default:
      // functions and symbols are not encodable; the encoder will say so if they reach it.
      return NODE;
  }
}
