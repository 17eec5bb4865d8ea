/**
 * The bytes of one HTTP/2 connection as frames: the client preface, then 9-byte frame headers
 * and their payloads, however the socket splits them. A frame's length is checked against
 * SETTINGS_MAX_FRAME_SIZE as soon as its header is in, before its payload is waited for; bytes
 * of an incomplete frame are kept as they came and joined once, when the frame is complete, so a
 * client trickling a frame a byte at a time costs one copy of it, not one per byte.
 */
import { ConnectionError, H2Code } from "./h2-frames.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** Receives one frame; returns false to stop reading the rest of the chunk (the connection closed). */
export type FrameHandler = (type: number, flags: number, streamId: number, payload: Buffer) => boolean;

/** Splits a connection's bytes into frames. */
export class FrameInput {
  readonly #maxFrame: number;
  readonly #onFrame: FrameHandler;
  #prefaceSeen = false;
  /** Bytes of an incomplete preface or frame, as they came. */
  #kept: Buffer[] = [];
  #keptBytes = 0;
  /** How many bytes must be kept before parsing again is worth it. */
  #need = PREFACE.length;

  constructor(maxFrame: number, onFrame: FrameHandler) {
    this.#maxFrame = maxFrame;
    this.#onFrame = onFrame;
  }

  /** Bytes waiting for the rest of their frame. */
  get pendingBytes(): number {
    return this.#keptBytes;
  }

  /** Reads `chunk`, calling the handler for each complete frame; throws ConnectionError. */
  push(chunk: Buffer): void {
    let input = chunk;
    if (this.#keptBytes > 0) {
      this.#kept.push(chunk);
      this.#keptBytes += chunk.length;
      if (this.#keptBytes < this.#need) return;
      input = Buffer.concat(this.#kept, this.#keptBytes);
      this.#kept = [];
      this.#keptBytes = 0;
    }
    let at = 0;
    if (!this.#prefaceSeen) {
      const length = Math.min(input.length, PREFACE.length);
      if (!input.subarray(0, length).equals(PREFACE.subarray(0, length))) throw new ConnectionError(H2Code.PROTOCOL_ERROR, "not the HTTP/2 preface");
      if (length < PREFACE.length) return this.#keep(input, 0, PREFACE.length);
      this.#prefaceSeen = true;
      at = PREFACE.length;
    }
    const onFrame = this.#onFrame;
    while (input.length - at >= 9) {
      const length = (input[at]! << 16) | (input[at + 1]! << 8) | input[at + 2]!;
      if (length > this.#maxFrame) throw new ConnectionError(H2Code.FRAME_SIZE_ERROR, `frame of ${length} bytes`);
      if (input.length - at - 9 < length) return this.#keep(input, at, 9 + length);
      const type = input[at + 3]!;
      const flags = input[at + 4]!;
      const streamId = input.readUInt32BE(at + 5) & 0x7fff_ffff;
      const payload = input.subarray(at + 9, at + 9 + length);
      at += 9 + length;
      if (!onFrame(type, flags, streamId, payload)) return;
    }
    if (at < input.length) this.#keep(input, at, 9);
  }

  #keep(input: Buffer, at: number, need: number): void {
    this.#kept = [at === 0 ? input : input.subarray(at)];
    this.#keptBytes = input.length - at;
    this.#need = need;
  }
}
