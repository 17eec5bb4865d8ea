import type { Data } from "../../generated/swarm/transport/v1/data.js";
import type { Envelope } from "../../generated/swarm/transport/v1/envelope.js";
import { ProtocolError } from "./protocol-error.js";

/**
 * Limits of the wire protocol that every endpoint applies the same way when it encodes (so a
 * sender gets a typed error before anything leaves) and when it decodes (so a receiver refuses
 * what no conforming sender produces). README, "Wire format", lists them.
 */

/**
 * Deepest nesting of containers (JSON objects and arrays) in a JSON payload: `{}` is 1,
 * `{"a": []}` is 2. Below the generated decoder's recursion limit (100 message levels, of which
 * an object costs 3 and the deepest arm's wrappers 5) for every arm, so this is the one in force.
 */
export const MAX_NESTING_DEPTH = 30;

/** Longest address (agent id, hub id, envelope source or destination), in UTF-8 bytes. */
export const MAX_ID_BYTES = 256;

/** Most entries in one string map (envelope headers, response trailers, Hello metadata) or capability list. */
export const MAX_HEADER_COUNT = 64;

/**
 * Most UTF-8 bytes of one string map (keys and values together) or capability list: HTTP/2's
 * usual header list size (nghttp2's default), so a gateway can carry any call's metadata.
 */
export const MAX_HEADER_BYTES = 64 * 1024;

/** Most records in one batch frame. */
export const MAX_BATCH_RECORDS = 1024;

/**
 * What each record of a batch frame is charged, on top of its length, against `maxMessageSize`:
 * a batch may not expand to more records than its receiver's limit pays for (a decoded
 * envelope costs far more than its bytes), so a frame of empty records cannot explode.
 */
export const BATCH_RECORD_OVERHEAD = 64;

/**
 * Checks an envelope against the limits above: addresses, string maps, and the nesting of JSON
 * payloads. Throws a `SerializationError` ProtocolError naming the limit. Cheap for typed
 * (binary) payloads; a JSON payload is walked once.
 */
export function checkEnvelopeLimits(envelope: Envelope): void {
  checkId(envelope.source, "envelope source");
  if (envelope.destination !== undefined) checkId(envelope.destination, "envelope destination");
  checkMap(envelope.headers, "envelope headers");
  const payload = envelope.payload;
  switch (payload?.$case) {
    case "request":
      return checkData(payload.value.params);
    case "response": {
      checkMap(payload.value.trailers, "response trailers");
      const outcome = payload.value.outcome;
      return checkData(outcome?.$case === "result" ? outcome.value : outcome?.value.details);
    }
    case "event":
    case "broadcast":
      return checkData(payload.value.data);
    case "stream":
      return checkData(payload.value.frame?.$case === "message" ? payload.value.frame.value : undefined);
    case "control":
      return checkControl(payload.value.operation);
    default:
  }
}

/** Throws unless `id` is a non-empty address of at most MAX_ID_BYTES. */
export function checkId(id: string, what: string): void {
  if (id.length * 3 <= MAX_ID_BYTES) return;
  const bytes = utf8Length(id);
  if (bytes > MAX_ID_BYTES) throw new ProtocolError("SerializationError", `${what} of ${bytes} bytes exceeds the limit of ${MAX_ID_BYTES} bytes`);
}

/** Whether `id` is a valid address: non-empty, at most MAX_ID_BYTES. */
export function isValidId(id: string): boolean {
  return id.length > 0 && (id.length * 3 <= MAX_ID_BYTES || utf8Length(id) <= MAX_ID_BYTES);
}

/** Throws unless a string map is within MAX_HEADER_COUNT entries and MAX_HEADER_BYTES. */
export function checkMap(map: Readonly<Record<string, string>>, what: string): void {
  let count = 0;
  let bytes = 0;
  for (const key in map) {
    if (++count > MAX_HEADER_COUNT) throw new ProtocolError("SerializationError", `${what} have more than ${MAX_HEADER_COUNT} entries`);
    bytes += utf8Length(key) + utf8Length(map[key]!);
  }
  if (bytes > MAX_HEADER_BYTES) throw new ProtocolError("SerializationError", `${what} of ${bytes} bytes exceed the limit of ${MAX_HEADER_BYTES} bytes`);
}

/** Throws when `value` nests containers deeper than MAX_NESTING_DEPTH (or is cyclic). */
export function checkNesting(value: unknown): void {
  if (nestingExceeds(value, 0)) {
    throw new ProtocolError("SerializationError", `payload nested deeper than ${MAX_NESTING_DEPTH} levels (or cyclic)`);
  }
}

/** UTF-8 length of a string without encoding it. */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) bytes += 1;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      bytes += 2; // a surrogate pair: 4 bytes for 2 units
      i++;
    } else bytes += 2;
  }
  return bytes;
}

function checkData(data: Data | undefined): void {
  // typed data that sizes itself (the RPC layer's) is binary, and reading its `kind` would encode it
  if (data === undefined || typeof (data as { sizeUpperBound?: unknown }).sizeUpperBound === "function") return;
  if (data.kind?.$case === "json") checkNesting(data.kind.value);
}

function checkList(list: readonly string[], what: string): void {
  if (list.length > MAX_HEADER_COUNT) throw new ProtocolError("SerializationError", `${what} have more than ${MAX_HEADER_COUNT} entries`);
  let bytes = 0;
  for (const item of list) bytes += utf8Length(item);
  if (bytes > MAX_HEADER_BYTES) throw new ProtocolError("SerializationError", `${what} of ${bytes} bytes exceed the limit of ${MAX_HEADER_BYTES} bytes`);
}

type Operation = NonNullable<NonNullable<Extract<Envelope["payload"], { $case: "control" }>["value"]>["operation"]>;

function checkControl(operation: Operation | undefined): void {
  switch (operation?.$case) {
    case "hello":
    case "helloAck":
      checkMap(operation.value.metadata, `${operation.$case} metadata`);
      return checkList(operation.value.capabilities, `${operation.$case} capabilities`);
    case "peerGone":
    case "lookup":
    case "lookupResult":
    case "credit":
    case "peerJoined":
      return checkId(operation.value.address, `${operation.$case} address`);
    case "undeliverable":
      return checkId(operation.value.destination, "undeliverable destination");
    case "watch":
      return checkId(operation.value.address, "watch address");
    default:
  }
}

function nestingExceeds(value: unknown, depth: number): boolean {
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return false;
  if (depth >= MAX_NESTING_DEPTH) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (nestingExceeds(value[i], depth + 1)) return true;
    return false;
  }
  for (const key in value) if (nestingExceeds((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}
