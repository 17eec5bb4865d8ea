import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { Envelope } from "../../generated/swarm/transport/v1/envelope.js";
import { ProtocolError } from "./protocol-error.js";
import type { Compression } from "./compression.js";
import { checkEnvelopeLimits, MAX_NESTING_DEPTH } from "./limits.js";

/**
 * Frame layout (every byte transport):
 *
 *   +-------+---------------------------------------------+
 *   | flags | Envelope (protobuf), gzip'd if flags & 0x01 |
 *   +-------+---------------------------------------------+
 *    1 byte   rest of the frame
 *
 * Bit 1 marks a batch frame (several envelopes, see `batch.ts`); `decodeFrame` rejects it,
 * `frameBodies` reads it. Bits 2..7 are reserved and must be 0; a frame with any of them set is
 * rejected, so a later version can give them meaning without being misread.
 */
export const FrameFlags = {
  /** The envelope bytes are compressed with the connection's compression (gzip). */
  COMPRESSED: 0x01,
  /** The frame carries length-prefixed envelopes (a batch), only between peers that negotiated "batch". */
  BATCH: 0x02,
} as const;

const KNOWN_FLAGS = FrameFlags.COMPRESSED;

/** What framing needs from the config, plus the compression to use. */
export interface FrameCodecOptions {
  /** Largest (uncompressed) envelope accepted, in bytes. */
  maxMessageSize: number;
  /** Compress envelopes of at least `compressionThreshold` bytes. */
  enableCompression: boolean;
  /** In bytes. */
  compressionThreshold: number;
  /** Needed to compress, and to decode compressed frames; without it frames go uncompressed. */
  compression?: Compression | undefined;
  /** Decoding: whether batch frames are accepted (both sides announced "batch"). Default true. */
  acceptBatch?: boolean;
}

/**
 * Encodes `envelope` as one frame. Throws `MessageTooLarge` when the envelope exceeds
 * `maxMessageSize` and `SerializationError` when it cannot be encoded.
 */
export function encodeFrame(envelope: Envelope, options: FrameCodecOptions): Uint8Array {
  checkEnvelopeLimits(envelope);
  let frame: Uint8Array;
  try {
    // The flags byte is written first, so an uncompressed frame needs no copy.
    frame = Envelope.encode(envelope, new BinaryWriter().raw(UNCOMPRESSED)).finish();
  } catch (error) {
    throw new ProtocolError("SerializationError", `cannot encode envelope: ${describe(error)}`, {}, { cause: error });
  }
  const size = frame.length - 1;
  if (size > options.maxMessageSize) throw ProtocolError.sizeExceeded(size, options.maxMessageSize);
  if (options.enableCompression && options.compression !== undefined && size >= options.compressionThreshold) {
    const compressed = options.compression.compress(frame.subarray(1));
    if (compressed.length < size) {
      const out = new Uint8Array(compressed.length + 1);
      out[0] = FrameFlags.COMPRESSED;
      out.set(compressed, 1);
      return out;
    }
  }
  return frame;
}

/**
 * Decodes one frame. Hostile input only ever throws a ProtocolError: `SerializationError`
 * (empty, reserved flags, compressed without a compression, corrupt, out-of-range fields) or
 * `MessageTooLarge` (the envelope, or what a compressed one inflates to, exceeds `maxMessageSize`).
 */
export function decodeFrame(frame: Uint8Array, options: FrameCodecOptions): Envelope {
  if (frame.length === 0) throw new ProtocolError("SerializationError", "empty frame (no flags byte)");
  const flags = frame[0]!;
  if ((flags & ~(KNOWN_FLAGS | FrameFlags.BATCH)) !== 0) {
    throw new ProtocolError("SerializationError", `frame has reserved flag bits set (flags 0x${flags.toString(16).padStart(2, "0")})`);
  }
  if ((flags & FrameFlags.BATCH) !== 0) {
    throw new ProtocolError("SerializationError", "batch frame (flags 0x02) where one envelope was expected; read it with frameBodies");
  }
  let body = frame.subarray(1);
  if ((flags & FrameFlags.COMPRESSED) !== 0) {
    if (options.compression === undefined) {
      throw new ProtocolError("SerializationError", "compressed frame received but no compression is configured");
    }
    body = options.compression.decompress(body, options.maxMessageSize);
  }
  if (body.length > options.maxMessageSize) throw ProtocolError.sizeExceeded(body.length, options.maxMessageSize);
  return decodeEnvelope(body);
}

/**
 * Decodes envelope bytes (no flags byte) and checks field ranges and the wire limits (see
 * `limits.ts`). Throws `SerializationError`. A 64-bit id (uint64 / int64 field) outside
 * JavaScript's safe integers reads as 0 ("unknown") instead of failing the envelope: the schema
 * allows such ids, and a hub forwards the bytes unchanged, so they still round-trip between
 * peers that can represent them.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  let envelope: Envelope;
  try {
    envelope = Envelope.decode(new WireReader(bytes));
  } catch (error) {
    // the generated Struct decoder stops recursing below our limit's depth; say it the same way
    if (error instanceof Error && /recursion limit/.test(error.message)) {
      throw new ProtocolError("SerializationError", `payload nested deeper than ${MAX_NESTING_DEPTH} levels (or cyclic)`, {}, { cause: error });
    }
    throw new ProtocolError("SerializationError", `malformed envelope: ${describe(error)}`, {}, { cause: error });
  }
  validateEnvelope(envelope);
  return envelope;
}

/** Range checks protobuf cannot express, and the wire limits. Throws `SerializationError`. */
export function validateEnvelope(envelope: Envelope): void {
  if (envelope.priority !== undefined && envelope.priority > 255) {
    throw new ProtocolError("SerializationError", `envelope priority ${envelope.priority} is outside 0..255`);
  }
  checkEnvelopeLimits(envelope);
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** The generated decoder's 64-bit reads, with values a JavaScript number cannot hold read as 0. */
class WireReader extends BinaryReader {
  override uint64(): bigint | string {
    const value = super.uint64();
    return (typeof value === "bigint" ? value : BigInt(value)) > MAX_SAFE ? 0n : value;
  }

  override int64(): bigint | string {
    const value = super.int64();
    const big = typeof value === "bigint" ? value : BigInt(value);
    return big > MAX_SAFE || big < MIN_SAFE ? 0n : value;
  }
}

const UNCOMPRESSED = new Uint8Array([0]);

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
