import { BinaryReader } from "@bufbuild/protobuf/wire";
import { ProtocolError } from "./protocol-error.js";

/** Envelope.ttl is field 8, a varint: its tag byte. */
const TTL_TAG = (8 << 3) | 0;

/**
 * Encoded envelope bytes with their ttl (field 8) set to `ttl`, every other byte kept: a hub
 * decrementing the hop limit does not re-encode (which would cost an encode per hop and turn
 * 64-bit ids a JavaScript number cannot hold into 0). Any earlier ttl fields are removed and
 * the new one appended (protobuf readers keep the last value of a scalar field). Throws a
 * `SerializationError` for bytes that are not a protobuf message.
 */
export function withTtl(body: Uint8Array, ttl: number): Uint8Array {
  const kept: [number, number][] = [];
  const reader = new BinaryReader(body);
  let start = 0;
  try {
    while (reader.pos < reader.len) {
      const fieldStart = reader.pos;
      const tag = reader.uint32();
      reader.skip(tag & 7, tag >>> 3);
      if (tag === TTL_TAG) {
        if (fieldStart > start) kept.push([start, fieldStart]);
        start = reader.pos;
      }
    }
  } catch (error) {
    throw new ProtocolError("SerializationError", `malformed envelope: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error });
  }
  if (start < body.length) kept.push([start, body.length]);
  let size = 1 + varintSize(ttl);
  for (const [from, to] of kept) size += to - from;
  const out = new Uint8Array(size);
  let at = 0;
  for (const [from, to] of kept) {
    out.set(body.subarray(from, to), at);
    at += to - from;
  }
  out[at++] = TTL_TAG;
  for (let value = ttl >>> 0; ; value >>>= 7) {
    if (value < 0x80) {
      out[at++] = value;
      break;
    }
    out[at++] = (value & 0x7f) | 0x80;
  }
  return out;
}

function varintSize(value: number): number {
  let size = 1;
  for (let v = value >>> 0; v >= 0x80; v >>>= 7) size++;
  return size;
}

/**
 * The id (field 1) and source (field 3) of encoded envelope bytes, and whether it carries a
 * Control (field 14), read without decoding the rest; undefined for bytes that are not a protobuf message. An id a JavaScript number cannot
 * hold reads as 0, as in `decodeEnvelope`.
 */
export function envelopeIdAndSource(body: Uint8Array): { id: number; source: string; control: boolean } | undefined {
  const reader = new BinaryReader(body);
  let id = 0;
  let source = "";
  let control = false;
  try {
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag === ((1 << 3) | 0)) {
        const value = BigInt(reader.uint64());
        id = value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : 0;
      } else if (tag === ((3 << 3) | 2)) source = reader.string();
      else {
        if (tag === ((14 << 3) | 2)) control = true;
        reader.skip(tag & 7, tag >>> 3);
      }
    }
  } catch {
    return undefined;
  }
  return { id, source, control };
}

/** Envelope.destination is field 4 and Envelope.headers field 6, both length-delimited: their tag bytes. */
const DESTINATION_TAG = (4 << 3) | 2;
const HEADERS_TAG = (6 << 3) | 2;

/**
 * Encoded envelope bytes with a header entry (`name: value`) and/or a `destination` appended,
 * every byte before them kept: protobuf readers take the last value of a scalar field and add
 * map entries in order (a later entry for the same key wins), so this is what re-encoding the
 * changed envelope would mean, at the cost of a copy. A hub fanning out one publish uses it for
 * the few receivers whose copy differs (a queue group's `swarm-queue`, an agent beyond a link).
 */
export function withAppended(body: Uint8Array, header: readonly [string, string] | undefined, destination?: string): Uint8Array {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [body];
  if (header !== undefined) {
    const key = encoder.encode(header[0]);
    const value = encoder.encode(header[1]);
    const entry = [...tagged(0x0a, key), ...tagged(0x12, value)];
    parts.push(Uint8Array.from(tagged(HEADERS_TAG, Uint8Array.from(entry))));
  }
  if (destination !== undefined) parts.push(Uint8Array.from(tagged(DESTINATION_TAG, encoder.encode(destination))));
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** `tag · varint length · bytes` of one length-delimited field. */
function tagged(tag: number, bytes: Uint8Array): number[] {
  const out = [tag];
  for (let value = bytes.length; ; value >>>= 7) {
    if (value < 0x80) {
      out.push(value);
      break;
    }
    out.push((value & 0x7f) | 0x80);
  }
  for (const byte of bytes) out.push(byte);
  return out;
}
