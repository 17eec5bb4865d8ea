import type { Data } from "../../../generated/swarm/transport/v1/data.js";
import type { Envelope } from "../../../generated/swarm/transport/v1/envelope.js";

/**
 * A frame as up to three pieces, so a large binary payload is copied once, straight into the
 * ring: `head` (flags byte and every field before the payload bytes), `body` (the caller's
 * payload bytes, not copied) and `tail` (what follows them: a Data.type_name). `head` and
 * `tail` are views into the encoder's scratch buffer, valid until the next `encode`. `tail`
 * holds the fields after the payload bytes: Data.type_name, then Request.timeout_ms.
 */
export interface FramePieces {
  head: Uint8Array;
  body: Uint8Array | undefined;
  tail: Uint8Array;
  /** Total frame bytes (flags byte included). */
  length: number;
}

const MAX_CACHED_STRING = 64;
const MAX_CACHED_STRINGS = 512;
const encoder = new TextEncoder();

/**
 * A hand-written encoder for the envelopes that make up the traffic — request, result response
 * without trailers, event, broadcast and heartbeat, with binary or no Data — producing exactly the bytes of the
 * generated `Envelope.encode` (property-tested) at a fraction of its cost: no BigInt, no
 * intermediate writer chunks, a reusable scratch buffer, and the UTF-8 of short strings that
 * repeat (source, destination, method, event names, header keys) cached. Anything else (JSON
 * data, error responses, control messages, out-of-range numbers) returns undefined and the
 * caller uses the generated encoder.
 */
export class FrameEncoder {
  #buf = new Uint8Array(1024);
  #pos = 0;
  readonly #strings = new Map<string, Uint8Array>();

  encode(envelope: Envelope): FramePieces | undefined {
    const payload = envelope.payload;
    if (payload === undefined) return undefined;
    const { id, timestampMs } = envelope;
    if (!isUint(id) || !isUint(timestampMs)) return undefined;
    // Sizes of the payload arm, bottom-up.
    let data: Data | undefined;
    let first = 0; // tag 1 scalar of the arm (correlation id / seq), or 0 for none
    let name: Uint8Array | undefined; // string field of the arm (method / name / topic)
    let nameTag = 0;
    let dataTag = 0;
    let armTag: number;
    let timeoutMs = 0; // Request.timeout_ms (field 4), written after the data
    switch (payload.$case) {
      case "request":
        armTag = 74;
        first = payload.value.correlationId;
        name = this.#utf8(payload.value.method);
        nameTag = 18;
        data = payload.value.params;
        dataTag = 26;
        timeoutMs = payload.value.timeoutMs;
        if (!isU32(timeoutMs)) return undefined;
        break;
      case "response": {
        const outcome = payload.value.outcome;
        if (outcome !== undefined && outcome.$case !== "result") return undefined;
        for (const _ in payload.value.trailers) return undefined; // trailers: the generated encoder
        armTag = 82;
        first = payload.value.correlationId;
        data = outcome?.value;
        dataTag = 18;
        break;
      }
      case "event":
      case "broadcast":
        armTag = payload.$case === "event" ? 90 : 98;
        name = this.#utf8(payload.$case === "event" ? payload.value.name : payload.value.topic);
        nameTag = 10;
        data = payload.value.data;
        dataTag = 18;
        break;
      case "heartbeat":
        armTag = 106;
        first = payload.value.seq;
        break;
      default:
        return undefined;
    }
    if (!isUint(first)) return undefined;
    let body: Uint8Array | undefined;
    let typeName: Uint8Array | undefined;
    let dataLength = 0;
    if (data !== undefined) {
      const kind = data.kind;
      if (kind !== undefined) {
        if (kind.$case !== "binary") return undefined;
        body = kind.value;
        dataLength += 1 + varintLength(body.length) + body.length;
      }
      if (data.typeName !== "") {
        typeName = this.#utf8(data.typeName);
        dataLength += fieldLength(typeName.length);
      }
    }
    let armLength = first !== 0 ? 1 + varintLength(first) : 0;
    if (name !== undefined && name.length > 0) armLength += fieldLength(name.length);
    if (data !== undefined) armLength += fieldLength(dataLength);
    if (timeoutMs !== 0) armLength += 1 + varintLength(timeoutMs);

    // Everything but the payload bytes goes to scratch: make room for the worst case.
    const source = envelope.source === "" ? undefined : this.#utf8(envelope.source);
    const destination = envelope.destination === undefined ? undefined : this.#utf8(envelope.destination);
    let room = 80 + (source?.length ?? 0) + (destination?.length ?? 0) + (name?.length ?? 0) + (typeName?.length ?? 0);
    const headers = envelope.headers;
    for (const key in headers) room += 24 + 3 * (key.length + headers[key]!.length);
    this.#reserve(room);

    const buf = this.#buf;
    this.#pos = 0;
    buf[this.#pos++] = 0; // flags: uncompressed
    if (id !== 0) this.#tagVarint(8, id);
    if (timestampMs !== 0) this.#tagVarint(16, timestampMs);
    if (source !== undefined) this.#tagBytes(26, source);
    if (destination !== undefined) this.#tagBytes(34, destination);
    const version = envelope.version;
    if (version !== undefined) {
      const { major, minor, patch } = version;
      if (!isU32(major) || !isU32(minor) || !isU32(patch)) return undefined;
      const length = (major !== 0 ? 1 + varintLength(major) : 0) + (minor !== 0 ? 1 + varintLength(minor) : 0) + (patch !== 0 ? 1 + varintLength(patch) : 0);
      this.#varint(42);
      this.#varint(length);
      if (major !== 0) this.#tagVarint(8, major);
      if (minor !== 0) this.#tagVarint(16, minor);
      if (patch !== 0) this.#tagVarint(24, patch);
    }
    for (const key in headers) {
      const k = this.#utf8(key);
      const v = this.#utf8(headers[key]!);
      this.#varint(50);
      this.#varint((k.length > 0 ? fieldLength(k.length) : 0) + (v.length > 0 ? fieldLength(v.length) : 0));
      if (k.length > 0) this.#tagBytes(10, k);
      if (v.length > 0) this.#tagBytes(18, v);
    }
    const { priority, ttl } = envelope;
    if (priority !== undefined) {
      if (!isU32(priority)) return undefined;
      this.#tagVarint(56, priority);
    }
    if (ttl !== undefined) {
      if (!isU32(ttl)) return undefined;
      this.#tagVarint(64, ttl);
    }
    this.#varint(armTag);
    this.#varint(armLength);
    if (first !== 0) this.#tagVarint(8, first);
    if (name !== undefined && name.length > 0) this.#tagBytes(nameTag, name);
    if (data !== undefined) {
      this.#varint(dataTag);
      this.#varint(dataLength);
      if (body !== undefined) {
        this.#varint(18);
        this.#varint(body.length);
      }
    }
    const headEnd = this.#pos;
    if (typeName !== undefined) this.#tagBytes(26, typeName);
    if (timeoutMs !== 0) this.#tagVarint(32, timeoutMs);
    const tail = buf.subarray(headEnd, this.#pos);
    return { head: buf.subarray(0, headEnd), body, tail, length: this.#pos + (body?.length ?? 0) };
  }

  /** The frame as one array (for frames that must be chunked). */
  static join(pieces: FramePieces): Uint8Array {
    const out = new Uint8Array(pieces.length);
    out.set(pieces.head, 0);
    let at = pieces.head.length;
    if (pieces.body !== undefined) {
      out.set(pieces.body, at);
      at += pieces.body.length;
    }
    out.set(pieces.tail, at);
    return out;
  }

  #utf8(value: string): Uint8Array {
    if (value.length > MAX_CACHED_STRING) return encoder.encode(value);
    let bytes = this.#strings.get(value);
    if (bytes === undefined) {
      if (this.#strings.size >= MAX_CACHED_STRINGS) this.#strings.clear();
      bytes = encoder.encode(value);
      this.#strings.set(value, bytes);
    }
    return bytes;
  }

  #reserve(bytes: number): void {
    if (bytes <= this.#buf.length) return;
    let size = this.#buf.length;
    while (size < bytes) size *= 2;
    this.#buf = new Uint8Array(size);
  }

  #tagVarint(tag: number, value: number): void {
    this.#buf[this.#pos++] = tag;
    this.#varint(value);
  }

  #tagBytes(tag: number, bytes: Uint8Array): void {
    this.#buf[this.#pos++] = tag;
    this.#varint(bytes.length);
    this.#buf.set(bytes, this.#pos);
    this.#pos += bytes.length;
  }

  #varint(value: number): void {
    const buf = this.#buf;
    let pos = this.#pos;
    if (value < 0x80) {
      buf[pos++] = value;
    } else {
      while (value >= 0x80) {
        buf[pos++] = (value & 0x7f) | 0x80;
        value = value < 0x1_0000_0000 ? value >>> 7 : Math.floor(value / 128);
      }
      buf[pos++] = value;
    }
    this.#pos = pos;
  }
}

function isUint(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function isU32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

function varintLength(value: number): number {
  let length = 1;
  while (value >= 0x80) {
    value = value < 0x1_0000_0000 ? value >>> 7 : Math.floor(value / 128);
    length++;
  }
  return length;
}

/** Bytes of a length-delimited field with a one-byte tag and `length` bytes of content. */
function fieldLength(length: number): number {
  return 1 + varintLength(length) + length;
}
