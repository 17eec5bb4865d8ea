import { BinaryReader } from "@bufbuild/protobuf/wire";
import type { Control } from "../../generated/swarm/transport/v1/control.js";
import { Envelope, Envelope_HeadersEntry, Response_TrailersEntry } from "../../generated/swarm/transport/v1/envelope.js";
import { decodeEnvelope } from "./codec.js";
import { checkId, checkMap } from "./limits.js";
import { ProtocolError } from "./protocol-error.js";

/** The payload arm of an envelope. */
export type PayloadKind = NonNullable<Envelope["payload"]>["$case"];

/**
 * What a hub routes an envelope by: the envelope's own fields and its payload's arm, without
 * the payload. For a Control, the decoded Control too (the hub consumes most of them).
 */
export interface EnvelopeRoute {
  readonly id: number;
  readonly source: string;
  readonly destination: string | undefined;
  readonly ttl: number | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** The payload's arm, as a decoder takes it (the last one on the wire); undefined: none. */
  readonly kind: PayloadKind | undefined;
  /** `Event.name` when `kind` is "event", else "". */
  readonly eventName: string;
  /** The Control when `kind` is "control". */
  readonly control: Control | undefined;
  /** The whole envelope, decoded on first use (and kept). */
  envelope(): Envelope;
}

/** The route of an envelope already decoded. */
export function routeOfEnvelope(envelope: Envelope): EnvelopeRoute {
  const payload = envelope.payload;
  return {
    id: envelope.id,
    source: envelope.source,
    destination: envelope.destination,
    ttl: envelope.ttl,
    headers: envelope.headers,
    kind: payload?.$case,
    eventName: payload?.$case === "event" ? payload.value.name : "",
    control: payload?.$case === "control" ? payload.value : undefined,
    envelope: () => envelope,
  };
}

/**
 * Reads the route of encoded envelope bytes (no flags byte) without decoding the payload, and
 * refuses exactly what `decodeEnvelope` refuses, so what a hub forwards on the strength of it
 * decodes at its receiver the way the hub read it (the same last-wins reading of repeated
 * fields, the same early stop at a zero tag or an end-group): every byte is walked, the
 * payload by its schema, its strings and maps read as the decoder reads them, and the wire
 * limits on ids, headers and trailers checked. A Control, and a payload with JSON data (whose
 * nesting must be measured), are decoded whole. Throws a `SerializationError` ProtocolError.
 */
export function readEnvelopeRoute(body: Uint8Array): EnvelopeRoute {
  let route: MutableRoute;
  try {
    route = scanEnvelope(new ScanReader(body));
  } catch (error) {
    if (error === NEEDS_DECODE) return routeOfEnvelope(decodeEnvelope(body));
    throw new ProtocolError("SerializationError", `malformed envelope: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error });
  }
  if (route.priority !== undefined && route.priority > 255) throw new ProtocolError("SerializationError", `envelope priority ${route.priority} is outside 0..255`);
  checkId(route.source, "envelope source");
  if (route.destination !== undefined) checkId(route.destination, "envelope destination");
  checkMap(route.headers, "envelope headers");
  if (route.trailers !== undefined) checkMap(route.trailers, "response trailers");
  let decoded: Envelope | undefined;
  const { id, source, destination, ttl, headers, kind, eventName } = route;
  return { id, source, destination, ttl, headers, kind, eventName, control: undefined, envelope: () => (decoded ??= decodeEnvelope(body)) };
}

/** Thrown inside the scan when the envelope must be decoded whole (a Control, JSON data). */
const NEEDS_DECODE = Symbol("needs a full decode");

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The decoder's 64-bit reads (see codec.ts): a value a number cannot hold is 0, never an error. */
class ScanReader extends BinaryReader {
  uint64Number(): number {
    const value = this.uint64();
    const big = typeof value === "bigint" ? value : BigInt(value);
    return big > MAX_SAFE ? 0 : Number(big);
  }
}

interface MutableRoute {
  id: number;
  source: string;
  destination: string | undefined;
  priority: number | undefined;
  ttl: number | undefined;
  headers: Record<string, string>;
  kind: PayloadKind | undefined;
  eventName: string;
  /** The last Response's trailers (the response arm's, if it is the last arm). */
  trailers: Record<string, string> | undefined;
}

/**
 * One message's fields, in the generated decoder's loop: `field(tag)` reads a field it knows
 * (with the expected wire type) and returns true; anything else is skipped, and a zero tag or
 * an end-group stops the message where it is, as the decoder stops.
 */
function scanMessage(reader: ScanReader, length: number | undefined, field: (tag: number) => boolean): void {
  const end = length === undefined ? reader.len : reader.pos + length;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (field(tag)) continue;
    if ((tag & 7) === 4 || tag === 0) break;
    reader.skip(tag & 7);
  }
}

function scanEnvelope(reader: ScanReader): MutableRoute {
  const route: MutableRoute = { id: 0, source: "", destination: undefined, priority: undefined, ttl: undefined, headers: {}, kind: undefined, eventName: "", trailers: undefined };
  let trailers: Record<string, string> | undefined;
  scanMessage(reader, undefined, (tag) => {
    switch (tag) {
      case 8:
        route.id = reader.uint64Number();
        return true;
      case 16:
        reader.int64();
        return true;
      case 26:
        route.source = reader.string();
        return true;
      case 34:
        route.destination = reader.string();
        return true;
      case 42:
        scanMessage(reader, reader.uint32(), (t) => t === 8 || t === 16 || t === 24 ? (reader.uint32(), true) : false);
        return true;
      case 50: {
        const entry = Envelope_HeadersEntry.decode(reader, reader.uint32());
        if (entry.value !== undefined) route.headers[entry.key] = entry.value;
        return true;
      }
      case 56:
        route.priority = reader.uint32();
        return true;
      case 64:
        route.ttl = reader.uint32();
        return true;
      case 74:
        route.kind = "request";
        scanMessage(reader, reader.uint32(), (t) => scanRequestField(reader, t));
        return true;
      case 82: {
        route.kind = "response";
        const map: Record<string, string> = {};
        scanMessage(reader, reader.uint32(), (t) => scanResponseField(reader, t, map));
        trailers = map;
        return true;
      }
      case 90: {
        route.kind = "event";
        let name = "";
        scanMessage(reader, reader.uint32(), (t) => (t === 10 ? ((name = reader.string()), true) : scanDataField(reader, t, 18)));
        route.eventName = name;
        return true;
      }
      case 98:
        route.kind = "broadcast";
        scanMessage(reader, reader.uint32(), (t) => (t === 10 ? (reader.string(), true) : scanDataField(reader, t, 18)));
        return true;
      case 106:
        route.kind = "heartbeat";
        scanMessage(reader, reader.uint32(), (t) => (t === 8 ? (reader.uint64(), true) : false));
        return true;
      case 114:
        throw NEEDS_DECODE;
      case 122:
        route.kind = "stream";
        scanMessage(reader, reader.uint32(), (t) => scanStreamField(reader, t));
        return true;
      default:
        return false;
    }
  });
  // the last arm wins, and only the response arm's trailers are checked
  route.trailers = route.kind === "response" ? trailers : undefined;
  if (route.kind !== "event") route.eventName = "";
  return route;
}

function scanRequestField(reader: ScanReader, tag: number): boolean {
  switch (tag) {
    case 8:
      reader.uint64();
      return true;
    case 18:
      reader.string();
      return true;
    case 32:
      reader.uint32();
      return true;
    default:
      return scanDataField(reader, tag, 26);
  }
}

function scanResponseField(reader: ScanReader, tag: number, trailers: Record<string, string>): boolean {
  switch (tag) {
    case 8:
      reader.uint64();
      return true;
    case 26:
      // ErrorResponse{code, message, details}
      scanMessage(reader, reader.uint32(), (t) => (t === 8 ? (reader.int32(), true) : t === 18 ? (reader.string(), true) : scanDataField(reader, t, 26)));
      return true;
    case 34: {
      const entry = Response_TrailersEntry.decode(reader, reader.uint32());
      if (entry.value !== undefined) trailers[entry.key] = entry.value;
      return true;
    }
    default:
      return scanDataField(reader, tag, 18);
  }
}

function scanStreamField(reader: ScanReader, tag: number): boolean {
  switch (tag) {
    case 8:
      reader.uint64();
      return true;
    case 26:
      scanMessage(reader, reader.uint32(), () => false); // HalfClose{}
      return true;
    case 32:
      reader.uint32();
      return true;
    case 40:
      reader.bool();
      return true;
    default:
      return scanDataField(reader, tag, 18);
  }
}

/** A `Data` field with tag `dataTag`: binary data and its type name are walked; JSON needs the full decode. */
function scanDataField(reader: ScanReader, tag: number, dataTag: number): boolean {
  if (tag !== dataTag) return false;
  scanMessage(reader, reader.uint32(), (t) => {
    if (t === 10) throw NEEDS_DECODE;
    if (t === 18) {
      reader.bytes();
      return true;
    }
    if (t === 26) {
      reader.string();
      return true;
    }
    return false;
  });
  return true;
}
