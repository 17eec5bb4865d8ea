/**
 * Index arithmetic of the SPSC byte ring, as pure functions (unit- and property-tested).
 *
 * `head` (next byte to read) and `tail` (next byte to write) are positions in
 * `[0, 2 * capacity)`: one extra lap tells a full ring (`tail - head == capacity`) from an
 * empty one (`tail == head`) without wasting a slot, for any capacity (not only powers of two).
 * The byte offset of a position is `pos mod capacity`.
 *
 * Records are 8-byte aligned and never straddle the end of the buffer: a record that does not
 * fit in the bytes left before the end is preceded by a PAD record covering them, and written
 * at offset 0. A record is therefore at most `capacity / 2` bytes, so an empty ring always has
 * room for one whichever offset it starts at.
 */

/**
 * Bytes of a record header: u32 payload length, u32 (magic << 16 | lead << 8 | kind). `lead`
 * (0..7) bytes of filler sit between the header and the payload, so a large payload can start
 * at the same offset modulo 8 as its source: copies into and out of shared memory run about 8×
 * faster when source and destination are equally aligned.
 */
export const RECORD_HEADER_BYTES = 8;
/** Record alignment in bytes. */
export const RECORD_ALIGN = 8;
/** Smallest ring capacity accepted, in bytes. */
export const MIN_RING_CAPACITY = 64;
/** Largest ring capacity: positions live in [0, 2 * capacity) and must fit an int32. */
export const MAX_RING_CAPACITY = 2 ** 30;

const HEADER_MAGIC = 0x5a5a0000;

/** What a record holds. */
export const RecordKind = {
  /** Skip to the end of the buffer (the next record starts at offset 0). */
  PAD: 1,
  /** A whole frame. */
  FULL: 2,
  /** The first chunk of a frame too large for one record; starts with the frame's u32 length. */
  FIRST: 3,
  /** A further chunk. */
  MIDDLE: 4,
  /** The chunk that completes the frame. */
  LAST: 5,
  /** The writer gave up on a chunked frame (timeout, abort): discard the chunks so far. */
  CANCEL: 6,
} as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

/** `n` rounded up to a multiple of RECORD_ALIGN. */
export function align(n: number): number {
  return (n + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1);
}

/** Bytes a record with a payload of `payloadBytes` after `lead` filler bytes occupies, header and padding included. */
export function recordBytes(payloadBytes: number, lead = 0): number {
  return align(RECORD_HEADER_BYTES + lead + payloadBytes);
}

/** The largest payload one record can carry in a ring of `capacity` bytes. */
export function maxRecordPayload(capacity: number): number {
  return Math.floor(capacity / 2 / RECORD_ALIGN) * RECORD_ALIGN - RECORD_HEADER_BYTES;
}

/** Whether `capacity` is a usable ring capacity: a multiple of 8 in [MIN, MAX]. */
export function isValidCapacity(capacity: number): boolean {
  return Number.isInteger(capacity) && capacity >= MIN_RING_CAPACITY && capacity <= MAX_RING_CAPACITY && capacity % RECORD_ALIGN === 0;
}

/** Byte offset in the buffer of position `pos`. */
export function offsetOf(pos: number, capacity: number): number {
  return pos >= capacity ? pos - capacity : pos;
}

/** Position `n` bytes after `pos`. */
export function advance(pos: number, n: number, capacity: number): number {
  const next = pos + n;
  const lap = 2 * capacity;
  return next >= lap ? next - lap : next;
}

/** Bytes written and not yet read; -1 when the positions are impossible (corrupt or hostile). */
export function usedBytes(head: number, tail: number, capacity: number): number {
  const lap = 2 * capacity;
  if (!Number.isInteger(head) || !Number.isInteger(tail) || head < 0 || tail < 0 || head >= lap || tail >= lap) return -1;
  if (head % RECORD_ALIGN !== 0 || tail % RECORD_ALIGN !== 0) return -1;
  const used = tail >= head ? tail - head : tail + lap - head;
  return used > capacity ? -1 : used;
}

/** Where a record goes: bytes of padding first (0 or up to the end), then the record at `offset`. */
export interface WritePlan {
  /** Bytes a PAD record covers before the record (0: none). */
  padBytes: number;
  /** Byte offset of the record. */
  offset: number;
  /** Total bytes the tail advances (padding + record). */
  advanceBytes: number;
}

/**
 * Where a record of `bytes` (a `recordBytes` value) goes, or undefined when the ring has no room
 * now. Throws RangeError if `bytes` exceeds what a record may ever be (caller bug).
 */
export function planWrite(head: number, tail: number, capacity: number, bytes: number): WritePlan | undefined {
  if (bytes > maxRecordPayload(capacity) + RECORD_HEADER_BYTES || bytes % RECORD_ALIGN !== 0 || bytes <= 0) {
    throw new RangeError(`record of ${bytes} bytes cannot go in a ring of ${capacity} bytes`);
  }
  const used = usedBytes(head, tail, capacity);
  if (used < 0) return undefined;
  const offset = offsetOf(tail, capacity);
  const contiguous = capacity - offset;
  const padBytes = bytes <= contiguous ? 0 : contiguous;
  const advanceBytes = padBytes + bytes;
  if (used + advanceBytes > capacity) return undefined;
  return { padBytes, offset: padBytes === 0 ? offset : 0, advanceBytes };
}

/** The second header word of a record of `kind` whose payload starts `lead` (0..7) bytes after the header. */
export function headerWord(kind: RecordKind, lead = 0): number {
  return HEADER_MAGIC | (lead << 8) | kind;
}

/** The filler bytes between header and payload, from a header word `checkHeader` accepted. */
export function leadOf(word: number): number {
  return (word >>> 8) & 0xff;
}

/**
 * Checks a record header read at `offset` against what the ring allows, and returns its kind;
 * or a description of what is wrong. `used` is the byte count between head and tail.
 */
export function checkHeader(length: number, word: number, offset: number, used: number, capacity: number): RecordKind | string {
  if ((word & ~0xffff) !== HEADER_MAGIC) return `bad record magic 0x${(word >>> 0).toString(16)} at offset ${offset}`;
  const kind = word & 0xff;
  const lead = leadOf(word);
  if (lead >= RECORD_ALIGN) return `record lead ${lead} at offset ${offset} is out of range`;
  if (kind < RecordKind.PAD || kind > RecordKind.CANCEL) return `unknown record kind ${kind} at offset ${offset}`;
  if (!Number.isInteger(length) || length < 0) return `negative record length ${length} at offset ${offset}`;
  const contiguous = capacity - offset;
  if (kind === RecordKind.PAD) {
    if (lead !== 0 || length !== contiguous - RECORD_HEADER_BYTES) return `pad record of ${length} bytes at offset ${offset} does not reach the end`;
    if (contiguous > used) return `pad record at offset ${offset} runs past the written bytes`;
    return kind;
  }
  const bytes = length + lead + RECORD_HEADER_BYTES;
  if (length + lead > maxRecordPayload(capacity) || bytes > contiguous) return `record length ${length} at offset ${offset} is out of bounds`;
  if (align(bytes) > used) return `record length ${length} at offset ${offset} runs past the written bytes`;
  return kind as RecordKind;
}
