import { decodeFrame, type FrameCodecOptions } from "../../protocol/codec.js";
import { decodeSharedFrame } from "./frame-decoder.js";
import { Message } from "../../protocol/message.js";
import { TransportError } from "../../transport/errors.js";
import { RecordKind } from "./ring-math.js";
import type { SpscRing } from "./ring.js";

/** Thrown when the ring itself can no longer be trusted (as opposed to one bad frame in it). */
export class BrokenLinkError extends Error {
  readonly error: TransportError;
  constructor(error: TransportError) {
    super(error.message);
    this.error = error;
  }
}

/**
 * The reading end of one link (one peer → this endpoint): takes records off the ring, joins
 * chunked frames and decodes them. A whole frame is decoded straight from shared memory and
 * only what the message keeps (binary payloads) is copied out; chunks are copied straight into
 * the frame being assembled, which is allocated once at its announced size after that size is
 * checked against `maxMessageSize`, and decoded in place (the message keeps views into it).
 */
export class InLink {
  readonly peerSlot: number;
  readonly from: string;
  readonly ring: SpscRing;
  readonly #codec: FrameCodecOptions;
  #partial: Uint8Array | undefined;
  #filled = 0;
  /** Dropping the chunks of a frame refused for its size, until its LAST or a CANCEL. */
  #skipping = false;

  constructor(peerSlot: number, from: string, ring: SpscRing, codec: FrameCodecOptions) {
    this.peerSlot = peerSlot;
    this.from = from;
    this.ring = ring;
    this.#codec = codec;
  }

  /**
   * The next complete message, or undefined when none is complete yet. Throws a TransportError
   * for one bad frame (it is consumed; the link goes on) and a BrokenLinkError when the ring
   * breaks the record protocol (the link must be dropped).
   */
  read(): Message | undefined {
    const ring = this.ring;
    for (;;) {
      let record;
      try {
        record = ring.peek();
      } catch (error) {
        throw new BrokenLinkError(error as TransportError);
      }
      if (record === undefined) return undefined;
      const { kind, payload } = record;
      switch (kind) {
        case RecordKind.FULL: {
          if (this.#partial !== undefined || this.#skipping) this.#broken("a whole frame arrived inside a chunked one");
          // Decoded in place; the record is freed whether or not it decodes.
          try {
            return new Message(decodeSharedFrame(payload, this.#codec));
          } finally {
            ring.release(1);
          }
        }
        case RecordKind.FIRST: {
          if (this.#partial !== undefined || this.#skipping) this.#broken("a chunked frame started inside another");
          if (payload.length < 4) this.#broken("first chunk without a length");
          const total = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, true);
          const chunk = payload.length - 4;
          if (total - 1 > this.#codec.maxMessageSize) {
            ring.release(0);
            this.#skipping = true;
            throw TransportError.tooLarge(total - 1, this.#codec.maxMessageSize);
          }
          if (chunk >= total) this.#broken(`first chunk of ${chunk} bytes is not smaller than its frame (${total} bytes)`);
          this.#partial = new Uint8Array(total);
          this.#partial.set(payload.subarray(4));
          this.#filled = chunk;
          ring.release(0);
          continue;
        }
        case RecordKind.MIDDLE:
        case RecordKind.LAST: {
          const last = kind === RecordKind.LAST;
          if (this.#skipping) {
            ring.release(last ? 1 : 0);
            if (last) this.#skipping = false;
            continue;
          }
          const partial = this.#partial;
          if (partial === undefined) this.#broken("a continuation chunk without a first chunk");
          const filled = this.#filled + payload.length;
          if (filled > partial.length || (last ? filled !== partial.length : filled === partial.length)) {
            this.#broken(`chunks add up to ${filled} bytes, not the announced ${partial.length}`);
          }
          partial.set(payload, this.#filled);
          this.#filled = filled;
          ring.release(last ? 1 : 0);
          if (!last) continue;
          this.#partial = undefined;
          return new Message(decodeFrame(partial, this.#codec));
        }
        case RecordKind.CANCEL:
          this.#partial = undefined;
          this.#skipping = false;
          ring.release(0);
          continue;
        default:
          this.#broken(`unexpected record kind ${kind}`);
      }
    }
  }

  /** Takes every remaining record without decoding; returns the whole frames dropped. */
  discard(): number {
    let frames = 0;
    try {
      for (let record = this.ring.peek(); record !== undefined; record = this.ring.peek()) {
        const whole = record.kind === RecordKind.FULL || record.kind === RecordKind.LAST ? 1 : 0;
        frames += whole;
        this.ring.release(whole);
      }
    } catch {
      // a corrupt ring: nothing more can be counted
    }
    this.#partial = undefined;
    return frames;
  }

  #broken(what: string): never {
    throw new BrokenLinkError(new TransportError("SerializationError", `${this.ring.name} broke the record protocol: ${what}`));
  }
}
