import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { Envelope } from "../../generated/swarm/transport/v1/envelope.js";
import { ProtocolError } from "./protocol-error.js";
import { FrameFlags, type FrameCodecOptions } from "./codec.js";

/**
 * Batch frames (flags bit 1, `FrameFlags.BATCH`): several envelopes in one frame, so a byte
 * transport pays its per-message cost (a WebSocket message, a syscall) once for many.
 *
 *   +-------+-----------------------------------------------------------+
 *   | flags | record · record · ...   (gzip of all records if bit 0)    |
 *   +-------+-----------------------------------------------------------+
 *   record = varint length (protobuf base-128) · Envelope bytes
 *
 * A batch holds at least one record; every record is at most `maxMessageSize` bytes, and so is
 * the whole (uncompressed) record sequence. Only peers that both announced the "batch"
 * capability send them; `decodeFrame` rejects them, `frameBodies` reads both kinds.
 */

// One writer reused for every encode: a fresh BinaryWriter grows its buffer from 128 bytes by
// doubling, which made a 4 KiB envelope cost 3x more to encode. Encoding is synchronous, so
// sharing it is safe; after a failed encode (state unknown) or a large one it is replaced.
let writer = new BinaryWriter();
const KEEP_WRITER_BYTES = 1 << 20;

/** Encodes an envelope without a flags byte (a record body). Throws MessageTooLarge / SerializationError. */
export function encodeEnvelopeBody(envelope: Envelope, maxMessageSize: number): Uint8Array {
  let body: Uint8Array;
  try {
    body = Envelope.encode(envelope, writer).finish();
    if (body.length > KEEP_WRITER_BYTES) writer = new BinaryWriter();
  } catch (error) {
    writer = new BinaryWriter();
    throw new ProtocolError("SerializationError", `cannot encode envelope: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error });
  }
  if (body.length > maxMessageSize) throw ProtocolError.sizeExceeded(body.length, maxMessageSize);
  return body;
}

/** A frame carrying `bodies` (encoded envelopes): a plain frame for one, a batch frame for several. */
export function encodeBodiesFrame(bodies: readonly Uint8Array[], options: FrameCodecOptions): Uint8Array {
  const batch = bodies.length > 1;
  let size = 0;
  for (const body of bodies) size += body.length + (batch ? varintSize(body.length) : 0);
  // flags byte and content in one allocation, one copy of each body
  const frame = new Uint8Array(size + 1);
  frame[0] = batch ? FrameFlags.BATCH : 0;
  let at = 1;
  for (const body of bodies) {
    if (batch) at = writeVarint(frame, at, body.length);
    frame.set(body, at);
    at += body.length;
  }
  if (options.enableCompression && options.compression !== undefined && size >= options.compressionThreshold) {
    const compressed = options.compression.compress(frame.subarray(1));
    if (compressed.length < size) {
      const out = new Uint8Array(compressed.length + 1);
      out[0] = frame[0]! | FrameFlags.COMPRESSED;
      out.set(compressed, 1);
      return out;
    }
  }
  return frame;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value >>>= 7;
    size++;
  }
  return size;
}

function writeVarint(target: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    target[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  target[at++] = value;
  return at;
}

/**
 * The envelope bodies in a frame, plain or batch (views into the frame, or into its inflated
 * content). Throws SerializationError / MessageTooLarge like `decodeFrame`.
 */
export function frameBodies(frame: Uint8Array, options: FrameCodecOptions): Uint8Array[] {
  if (frame.length === 0) throw new ProtocolError("SerializationError", "empty frame (no flags byte)");
  const flags = frame[0]!;
  if ((flags & ~(FrameFlags.COMPRESSED | FrameFlags.BATCH)) !== 0) {
    throw new ProtocolError("SerializationError", `frame has reserved flag bits set (flags 0x${flags.toString(16).padStart(2, "0")})`);
  }
  let content = frame.subarray(1);
  if ((flags & FrameFlags.COMPRESSED) !== 0) {
    if (options.compression === undefined) throw new ProtocolError("SerializationError", "compressed frame received but no compression is configured");
    content = options.compression.decompress(content, options.maxMessageSize);
  }
  if (content.length > options.maxMessageSize) throw ProtocolError.sizeExceeded(content.length, options.maxMessageSize);
  if ((flags & FrameFlags.BATCH) === 0) return [content];
  const bodies: Uint8Array[] = [];
  const reader = new BinaryReader(content);
  try {
    while (reader.pos < reader.len) {
      const length = reader.uint32();
      if (reader.pos + length > reader.len) throw new Error(`record of ${length} bytes overruns the batch`);
      bodies.push(content.subarray(reader.pos, reader.pos + length));
      reader.pos += length;
    }
  } catch (error) {
    throw new ProtocolError("SerializationError", `malformed batch frame: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error });
  }
  if (bodies.length === 0) throw new ProtocolError("SerializationError", "empty batch frame");
  return bodies;
}
