/**
 * A header block as it arrives: one HEADERS frame (its padding and priority fields taken off),
 * then CONTINUATION frames until END_HEADERS. The block is bounded before anything is decoded —
 * its bytes by the header list limit, its frames by `MAX_CONTINUATIONS` — so a CONTINUATION
 * flood (CVE-2024-27316 and its family: endless frames, empty ones included) ends the connection
 * with ENHANCE_YOUR_CALM after a few frames instead of growing a buffer.
 */
import { ConnectionError, END_HEADERS, END_STREAM, H2Code, PADDED, PRIORITY_FLAG } from "./h2-frames.js";
import { MAX_CONTINUATIONS } from "./h2-limits.js";

/** A HEADERS frame's payload, read. */
export interface HeadersPayload {
  fragment: Buffer;
  /** The stream this one depends on (PRIORITY flag), or -1. */
  dependsOn: number;
}

/** The header block fragment of a HEADERS frame, without padding and priority fields; throws ConnectionError. */
export function readHeadersPayload(flags: number, payload: Buffer): HeadersPayload {
  let start = 0;
  let end = payload.length;
  if (flags & PADDED) {
    if (payload.length < 1) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "HEADERS too short for its padding length");
    start = 1;
    end -= payload[0]!;
  }
  let dependsOn = -1;
  if (flags & PRIORITY_FLAG) {
    if (payload.length < start + 5) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, "HEADERS too short for its priority fields");
    dependsOn = payload.readUInt32BE(start) & 0x7fff_ffff;
    start += 5;
  }
  if (end < start) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "padding longer than the frame");
  return { fragment: start === 0 && end === payload.length ? payload : payload.subarray(start, end), dependsOn };
}

/** A header block spanning CONTINUATION frames, until END_HEADERS. */
export class HeaderBlock {
  readonly streamId: number;
  readonly endStream: boolean;
  readonly dependsOn: number;
  readonly #maxBytes: number;
  #chunks: Buffer[];
  #bytes: number;
  #frames = 0;

  /** From a HEADERS frame without END_HEADERS; `maxBytes`: the header list limit. */
  constructor(streamId: number, flags: number, first: HeadersPayload, maxBytes: number) {
    this.streamId = streamId;
    this.endStream = (flags & END_STREAM) !== 0;
    this.dependsOn = first.dependsOn;
    this.#maxBytes = maxBytes;
    // copied: the frame's bytes belong to a socket chunk that will not be kept
    this.#chunks = [Buffer.from(first.fragment)];
    this.#bytes = first.fragment.length;
    if (this.#bytes > maxBytes) throw new ConnectionError(H2Code.ENHANCE_YOUR_CALM, `header block over ${maxBytes} bytes`);
  }

  /** One CONTINUATION; the whole block once it has END_HEADERS, else undefined. Throws ConnectionError. */
  continuation(flags: number, streamId: number, payload: Buffer): Buffer | undefined {
    if (streamId !== this.streamId) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "CONTINUATION of another stream inside a header block");
    if (++this.#frames > MAX_CONTINUATIONS) throw new ConnectionError(H2Code.ENHANCE_YOUR_CALM, `header block in more than ${MAX_CONTINUATIONS} CONTINUATION frames`);
    this.#bytes += payload.length;
    if (this.#bytes > this.#maxBytes) throw new ConnectionError(H2Code.ENHANCE_YOUR_CALM, `header block over ${this.#maxBytes} bytes`);
    if (payload.length > 0) this.#chunks.push(Buffer.from(payload));
    if ((flags & END_HEADERS) === 0) return undefined;
    const chunks = this.#chunks;
    this.#chunks = [];
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#bytes);
  }
}
