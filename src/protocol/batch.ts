import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { Envelope } from "../../generated/swarm/transport/v1/envelope.js";
import { ProtocolError } from "./protocol-error.js";
import { FrameFlags, type FrameCodecOptions } from "./codec.js";
import { BATCH_RECORD_OVERHEAD, checkEnvelopeLimits, MAX_BATCH_RECORDS } from "./limits.js";

/**
 * Batch frames (flags bit 1, `FrameFlags.BATCH`): several envelopes in one frame, so a byte
 * transport pays its per-message cost (a WebSocket message, a syscall) once for many.
 *
 *   +-------+-----------------------------------------------------------+
 *   | flags | record · record · ...   (gzip of all records if bit 0)    |
 *   +-------+-----------------------------------------------------------+
 *   record = varint length (protobuf base-128) · Envelope bytes
 *
 * A batch holds 1 to MAX_BATCH_RECORDS non-empty records, and the records, each charged
 * BATCH_RECORD_OVERHEAD bytes on top of its length, add up to at most `maxMessageSize` (the
 * uncompressed content): a frame cannot expand to more envelopes than the receiver's limit pays
 * for. Only peers that both announced the "batch" capability send them; `decodeFrame` rejects
 * them, `frameBodies` reads both kinds and checks all of this before splitting anything.
 */

// One writer reused for every encode: a fresh BinaryWriter grows its buffer from 128 bytes by
// doubling, which made a 4 KiB envelope cost 3x more to encode. Encoding is synchronous, so
// sharing it is safe; after a failed encode (state unknown) or a large one it is replaced.
let writer = new BinaryWriter();
const KEEP_WRITER_BYTES = 1 << 20;

/**
 * Encodes an envelope without a flags byte (a record body). Throws MessageTooLarge, or
 * SerializationError (not encodable, or past a wire limit: see `limits.ts`), sending nothing.
 */
export function encodeEnvelopeBody(envelope: Envelope, maxMessageSize: number): Uint8Array {
  checkEnvelopeLimits(envelope);
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
  if ((flags & FrameFlags.BATCH) !== 0 && options.acceptBatch === false) {
    throw new ProtocolError("SerializationError", "batch frame received but batch was not negotiated");
  }
  let content = frame.subarray(1);
  if ((flags & FrameFlags.COMPRESSED) !== 0) {
    if (options.compression === undefined) throw new ProtocolError("SerializationError", "compressed frame received but compression was not negotiated");
    content = options.compression.decompress(content, options.maxMessageSize);
  }
  if (content.length > options.maxMessageSize) throw ProtocolError.sizeExceeded(content.length, options.maxMessageSize);
  if ((flags & FrameFlags.BATCH) === 0) return [content];
  const count = countRecords(content, options.maxMessageSize);
  const bodies = new Array<Uint8Array>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const [length, start] = readVarint(content, at)!;
    bodies[i] = content.subarray(start, start + length);
    at = start + length;
  }
  return bodies;
}

/** Validates a batch's record sequence without splitting it; returns how many records it holds. */
function countRecords(content: Uint8Array, maxMessageSize: number): number {
  if (content.length === 0) throw new ProtocolError("SerializationError", "empty batch frame");
  let count = 0;
  let charged = 0;
  let at = 0;
  while (at < content.length) {
    const varint = readVarint(content, at);
    if (varint === undefined) throw new ProtocolError("SerializationError", "malformed batch frame: bad record length");
    const [length, start] = varint;
    if (length === 0) throw new ProtocolError("SerializationError", "malformed batch frame: empty record");
    if (start + length > content.length) throw new ProtocolError("SerializationError", `malformed batch frame: record of ${length} bytes overruns the batch`);
    if (++count > MAX_BATCH_RECORDS) throw new ProtocolError("SerializationError", `batch frame has more than ${MAX_BATCH_RECORDS} records`);
    charged += length + BATCH_RECORD_OVERHEAD;
    if (charged > maxMessageSize) {
      throw new ProtocolError("MessageTooLarge", `batch frame expands past maxMessageSize ${maxMessageSize} (${count} records, ${BATCH_RECORD_OVERHEAD} bytes charged per record)`, {
        size: charged,
        max: maxMessageSize,
      });
    }
    at = start + length;
  }
  return count;
}

/** A record length (protobuf varint, at most 5 bytes, 32 bits) at `at`: [value, where the record starts], or undefined. */
function readVarint(bytes: Uint8Array, at: number): [number, number] | undefined {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (at >= bytes.length) return undefined;
    const byte = bytes[at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return value > 0xffff_ffff ? undefined : [value, at];
  }
  return undefined;
}
