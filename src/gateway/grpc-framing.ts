/**
 * The length-prefixed messages of gRPC, gRPC-Web and Connect streaming (one framing, three
 * uses): a flags byte, a 4-byte big-endian length, then the message.
 *
 *   +-------+-----------------+---------------------+
 *   | flags | length (uint32) | message (length B)  |
 *   +-------+-----------------+---------------------+
 *   flags: 0x01 compressed; 0x02 Connect end-stream; 0x80 gRPC-Web trailers
 */
import { Status } from "../status/status.js";
import { GatewayError } from "./gateway-error.js";

/** One framed message as read. */
export interface Frame {
  readonly flags: number;
  readonly data: Uint8Array;
}

/** Flag bits. */
export const COMPRESSED = 0x01;
export const END_STREAM = 0x02;
export const TRAILERS = 0x80;

const HEADER_BYTES = 5;

/**
 * Reads frames from a byte stream fed in arbitrary chunks. A frame longer than `maxBytes` fails
 * with RESOURCE_EXHAUSTED as soon as its header is read, before its body is buffered; whole
 * frames inside one chunk are handed out as views of it (no copy).
 */
export class FrameReader {
  readonly #maxBytes: number;
  /** A header split across chunks (allocated only then). */
  #header: Uint8Array | undefined;
  #headerFill = 0;
  #body: Uint8Array | undefined;
  #bodyFill = 0;
  #flags = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Whether a frame has started and not finished (a body that ends here is truncated). */
  get partial(): boolean {
    return this.#headerFill > 0 || this.#body !== undefined;
  }

  /** The frames completed by `chunk`, in order. Throws a GatewayError for an oversize frame. */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.#body === undefined) {
        if (this.#headerFill === 0 && chunk.length - at >= HEADER_BYTES) {
          const length = readLength(chunk, at + 1);
          this.#check(length);
          if (chunk.length - at - HEADER_BYTES >= length) {
            frames.push({ flags: chunk[at]!, data: chunk.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length) });
            at += HEADER_BYTES + length;
            continue;
          }
        }
        const header = (this.#header ??= new Uint8Array(HEADER_BYTES));
        const take = Math.min(HEADER_BYTES - this.#headerFill, chunk.length - at);
        header.set(chunk.subarray(at, at + take), this.#headerFill);
        this.#headerFill += take;
        at += take;
        if (this.#headerFill < HEADER_BYTES) break;
        const length = readLength(header, 1);
        this.#check(length);
        this.#flags = header[0]!;
        this.#headerFill = 0;
        this.#body = new Uint8Array(length);
        this.#bodyFill = 0;
      }
      const body = this.#body;
      const take = Math.min(body.length - this.#bodyFill, chunk.length - at);
      body.set(chunk.subarray(at, at + take), this.#bodyFill);
      this.#bodyFill += take;
      at += take;
      if (this.#bodyFill === body.length) {
        frames.push({ flags: this.#flags, data: body });
        this.#body = undefined;
      }
    }
    return frames;
  }

  #check(length: number): void {
    if (length > this.#maxBytes) throw new GatewayError(Status.RESOURCE_EXHAUSTED, `message of ${length} bytes is over the limit of ${this.#maxBytes} bytes`);
  }
}

/** One frame: `flags`, the length, `data`. */
export function encodeFrame(flags: number, data: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + data.length);
  frame[0] = flags;
  frame.writeUInt32BE(data.length, 1);
  frame.set(data, HEADER_BYTES);
  return frame;
}

function readLength(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!;
}
