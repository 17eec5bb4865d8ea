import type { Data } from "../../../generated/swarm/transport/v1/data.js";
import type { Envelope } from "../../../generated/swarm/transport/v1/envelope.js";
import { decodeFrame, validateEnvelope, type FrameCodecOptions } from "../../protocol/codec.js";

/** Thrown inside the fast decoder when the frame needs the generated decoder. */
const FALLBACK = Symbol("fallback");

/**
 * Decodes a frame straight from a view of shared memory, copying only what the message keeps:
 * binary payloads are copied out (`slice`), strings are built from the bytes, nothing else is
 * copied. Handles what `FrameEncoder` produces — uncompressed envelopes with ASCII strings and
 * request / result response (no trailers) / event / broadcast / heartbeat arms with binary or no Data — and
 * gives exactly the object the generated decoder gives (property-tested). Anything else
 * (unknown or repeated-but-odd fields, JSON data, non-ASCII strings, control messages, a flags
 * byte other than 0) is copied out and handed to `decodeFrame`, errors included.
 */
export function decodeSharedFrame(view: Uint8Array, options: FrameCodecOptions): Envelope {
  if (view.length > 0 && view[0] === 0) {
    try {
      const envelope = new FastReader(view).envelope();
      validateEnvelope(envelope);
      return envelope;
    } catch (error) {
      if (error !== FALLBACK) throw error;
    }
  }
  return decodeFrame(view.slice(), options);
}

class FastReader {
  readonly #buf: Uint8Array;
  #pos = 1;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }

  envelope(): Envelope {
    const end = this.#buf.length;
    const envelope: Envelope = {
      id: 0,
      timestampMs: 0,
      source: "",
      destination: undefined,
      version: undefined,
      headers: {},
      priority: undefined,
      ttl: undefined,
      payload: undefined,
    };
    while (this.#pos < end) {
      const tag = this.#varint();
      switch (tag) {
        case 8: envelope.id = this.#varint(); break;
        case 16: envelope.timestampMs = this.#varint(); break;
        case 26: envelope.source = this.#string(); break;
        case 34: envelope.destination = this.#string(); break;
        case 42: envelope.version = this.#version(); break;
        case 50: this.#header(envelope.headers); break;
        case 56: envelope.priority = this.#u32(); break;
        case 64: envelope.ttl = this.#u32(); break;
        case 74: {
          const limit = this.#limit();
          const value = { correlationId: 0, method: "", params: undefined as Data | undefined, timeoutMs: 0 };
          while (this.#pos < limit) {
            const t = this.#varint();
            if (t === 8) value.correlationId = this.#varint();
            else if (t === 18) value.method = this.#string();
            else if (t === 26) value.params = this.#data();
            else if (t === 32) value.timeoutMs = this.#u32();
            else throw FALLBACK;
          }
          this.#end(limit);
          envelope.payload = { $case: "request", value };
          break;
        }
        case 82: {
          const limit = this.#limit();
          const value: { correlationId: number; outcome: { $case: "result"; value: Data } | undefined; trailers: Record<string, string> } = {
            correlationId: 0,
            outcome: undefined,
            trailers: {},
          };
          while (this.#pos < limit) {
            const t = this.#varint();
            if (t === 8) value.correlationId = this.#varint();
            else if (t === 18) value.outcome = { $case: "result", value: this.#data() };
            else throw FALLBACK;
          }
          this.#end(limit);
          envelope.payload = { $case: "response", value };
          break;
        }
        case 90:
        case 98: {
          const limit = this.#limit();
          let name = "";
          let data: Data | undefined;
          while (this.#pos < limit) {
            const t = this.#varint();
            if (t === 10) name = this.#string();
            else if (t === 18) data = this.#data();
            else throw FALLBACK;
          }
          this.#end(limit);
          envelope.payload = tag === 90 ? { $case: "event", value: { name, data } } : { $case: "broadcast", value: { topic: name, data } };
          break;
        }
        case 106: {
          const limit = this.#limit();
          let seq = 0;
          while (this.#pos < limit) {
            if (this.#varint() !== 8) throw FALLBACK;
            seq = this.#varint();
          }
          this.#end(limit);
          envelope.payload = { $case: "heartbeat", value: { seq } };
          break;
        }
        default:
          throw FALLBACK;
      }
    }
    this.#end(end);
    return envelope;
  }

  #data(): Data {
    const limit = this.#limit();
    const data: Data = { kind: undefined, typeName: "" };
    while (this.#pos < limit) {
      const t = this.#varint();
      if (t === 18) {
        const length = this.#varint();
        const start = this.#pos;
        this.#pos += length;
        this.#end(limit);
        data.kind = { $case: "binary", value: this.#buf.slice(start, this.#pos) };
      } else if (t === 26) {
        data.typeName = this.#string();
      } else {
        throw FALLBACK;
      }
    }
    this.#end(limit);
    return data;
  }

  #version(): { major: number; minor: number; patch: number } {
    const limit = this.#limit();
    const version = { major: 0, minor: 0, patch: 0 };
    while (this.#pos < limit) {
      const t = this.#varint();
      if (t === 8) version.major = this.#u32();
      else if (t === 16) version.minor = this.#u32();
      else if (t === 24) version.patch = this.#u32();
      else throw FALLBACK;
    }
    this.#end(limit);
    return version;
  }

  #header(headers: Record<string, string>): void {
    const limit = this.#limit();
    let key = "";
    let value = "";
    while (this.#pos < limit) {
      const t = this.#varint();
      if (t === 10) key = this.#string();
      else if (t === 18) value = this.#string();
      else throw FALLBACK;
    }
    this.#end(limit);
    if (key === "__proto__") throw FALLBACK;
    headers[key] = value;
  }

  /** Reads a length prefix and returns where the field ends. */
  #limit(): number {
    const length = this.#varint();
    const limit = this.#pos + length;
    if (limit > this.#buf.length) throw FALLBACK;
    return limit;
  }

  #end(limit: number): void {
    if (this.#pos !== limit) throw FALLBACK;
  }

  #u32(): number {
    const value = this.#varint();
    if (value > 0xffff_ffff) throw FALLBACK;
    return value;
  }

  /** A varint of at most 7 bytes (< 2^49, exact); longer ones go to the generated decoder. */
  #varint(): number {
    const buf = this.#buf;
    let pos = this.#pos;
    let byte = buf[pos++]!;
    if (byte < 0x80) {
      this.#pos = pos;
      return byte;
    }
    let value = byte & 0x7f;
    let scale = 0x80;
    for (let i = 1; i < 7; i++) {
      if (pos >= buf.length) throw FALLBACK;
      byte = buf[pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.#pos = pos;
        return value;
      }
      scale *= 0x80;
    }
    throw FALLBACK;
  }

  #string(): string {
    const length = this.#varint();
    const start = this.#pos;
    const end = start + length;
    if (end > this.#buf.length || length > 1024) throw FALLBACK;
    this.#pos = end;
    return length <= MAX_CACHED ? cachedAscii(this.#buf, start, length) : ascii(this.#buf, start, end);
  }
}

// Addresses, method and event names repeat from frame to frame: a small direct-mapped cache
// turns them back into the same string by comparing bytes instead of building a new string.
const MAX_CACHED = 48;
const cacheBytes: (Uint8Array | undefined)[] = new Array(256);
const cacheStrings: string[] = new Array(256);

function cachedAscii(buf: Uint8Array, start: number, length: number): string {
  if (length === 0) return "";
  const slot = (length * 31 + buf[start]! * 7 + buf[start + length - 1]! + buf[start + (length >> 1)]! * 13) & 255;
  const bytes = cacheBytes[slot];
  if (bytes !== undefined && bytes.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (bytes[i] !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return cacheStrings[slot]!;
  }
  const value = ascii(buf, start, start + length);
  cacheBytes[slot] = buf.slice(start, start + length);
  cacheStrings[slot] = value;
  return value;
}

function ascii(buf: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    if (byte >= 0x80) throw FALLBACK;
    out += String.fromCharCode(byte);
  }
  return out;
}
