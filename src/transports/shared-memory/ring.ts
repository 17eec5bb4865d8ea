import { TransportError } from "../../transport/errors.js";
import {
  advance,
  checkHeader,
  headerWord,
  leadOf,
  maxRecordPayload,
  offsetOf,
  planWrite,
  RECORD_ALIGN,
  RECORD_HEADER_BYTES,
  recordBytes,
  RecordKind,
  usedBytes,
} from "./ring-math.js";

/**
 * Control block of one ring, in int32 words. What each side writes sits on a 64-byte line of its
 * own, so the reader and writer threads do not false-share, and what one side writes per record
 * shares one line, so a record moves as few lines between cores as it can.
 *
 *   word  0  head        next position to read    (reader writes)
 *   word  1  readCount   frames consumed so far   (reader writes; bounds frames in flight)
 *   word 16  tail        next position to write   (writer writes)
 *   word 48  spaceSeq    bumped when space frees  (reader writes, writer waits on it)
 *   word 49  writerWaits 1 while the writer waits for space
 */
export const RING_CONTROL_BYTES = 256;
/** Payloads from this size on are aligned like their source (see RECORD_HEADER_BYTES). */
const ALIGN_FROM = 256;
const HEAD = 0;
const READ_COUNT = 1;
const TAIL = 16;
const SPACE_SEQ = 48;
const WRITER_WAITS = 49;

/** A record the reader is looking at; `payload` is a view into shared memory, valid until `release()`. */
export interface RingRecord {
  kind: RecordKind;
  payload: Uint8Array;
}

/** Bytes a ring of `capacity` takes in a segment, control block included. */
export function ringFootprint(capacity: number): number {
  return RING_CONTROL_BYTES + capacity;
}

/**
 * One single-producer single-consumer byte ring in a SharedArrayBuffer. Exactly one thread may
 * call the writer methods and exactly one the reader methods. Positions are published with
 * `Atomics.store` after the bytes they cover are written, so a reader never sees a torn record.
 * Everything read from shared memory is validated before use: a corrupted or hostile control
 * word or record header yields a `SerializationError`, never an out-of-bounds access.
 */
export class SpscRing {
  readonly capacity: number;
  /** Largest payload one record carries (room for an aligning lead is kept aside). */
  readonly maxPayload: number;
  readonly #control: Int32Array;
  readonly #data: Uint8Array;
  readonly #words: Int32Array;
  readonly name: string;
  // Reader state: the record being looked at.
  #pendingAdvance = 0;
  // Writer state: the head last read. The reader only moves it forward, so an old value only
  // understates the room; it is read again (a cache line from the reader's core) only when the
  // room it shows is not enough.
  #headSeen = 0;

  constructor(buffer: SharedArrayBuffer, byteOffset: number, capacity: number, name = "ring") {
    this.capacity = capacity;
    this.maxPayload = maxRecordPayload(capacity) - RECORD_ALIGN;
    this.#control = new Int32Array(buffer, byteOffset, RING_CONTROL_BYTES / 4);
    this.#data = new Uint8Array(buffer, byteOffset + RING_CONTROL_BYTES, capacity);
    this.#words = new Int32Array(buffer, byteOffset + RING_CONTROL_BYTES, capacity / 4);
    this.name = name;
  }

  /** The int32 view of the control block, for waiting on `spaceSeq`. @internal */
  get control(): Int32Array {
    return this.#control;
  }

  /** Index of the word the writer waits on for space. */
  static readonly SPACE_SEQ = SPACE_SEQ;

  // ---- writer side -------------------------------------------------------------------------

  /**
   * Writes one record of `kind` whose payload is `prefix` (a u32, if given) then
   * `source[start..end)`. Returns false, writing nothing, when the ring lacks room now.
   * Throws `SerializationError` when the control block is corrupt.
   */
  tryWrite(kind: RecordKind, source: Uint8Array, start: number, end: number, prefix?: number): boolean {
    const prefixBytes = prefix === undefined ? 0 : 4;
    const length = end - start + prefixBytes;
    const lead = end - start >= ALIGN_FROM ? (source.byteOffset + start - prefixBytes) & 7 : 0;
    const offset = this.#reserve(recordBytes(length, lead));
    if (offset < 0) return false;
    let at = offset + RECORD_HEADER_BYTES + lead;
    if (prefix !== undefined) {
      new DataView(this.#data.buffer, this.#data.byteOffset + at, 4).setUint32(0, prefix, true);
      at += 4;
    }
    this.#data.set(end - start === source.length ? source : source.subarray(start, end), at);
    this.#commit(kind, offset, length, lead);
    return true;
  }

  /**
   * Writes one record of `kind` whose payload is `head`, `body` (if any) and `tail` back to back,
   * each copied once into shared memory. Returns false, writing nothing, when there is no room.
   */
  tryWriteParts(kind: RecordKind, head: Uint8Array, body: Uint8Array | undefined, tail: Uint8Array): boolean {
    const bodyLength = body === undefined ? 0 : body.length;
    const length = head.length + bodyLength + tail.length;
    const lead = bodyLength >= ALIGN_FROM ? (body!.byteOffset - head.length) & 7 : 0;
    const offset = this.#reserve(recordBytes(length, lead));
    if (offset < 0) return false;
    const data = this.#data;
    let at = offset + RECORD_HEADER_BYTES + lead;
    if (head.length <= 64) {
      for (let i = 0; i < head.length; i++) data[at + i] = head[i]!;
    } else {
      data.set(head, at);
    }
    at += head.length;
    if (body !== undefined) {
      // Small copies by hand: TypedArray.set into shared memory has a fixed cost of its own.
      if (bodyLength <= 64) {
        for (let i = 0; i < bodyLength; i++) data[at + i] = body[i]!;
      } else {
        data.set(body, at);
      }
      at += bodyLength;
    }
    for (let i = 0; i < tail.length; i++) data[at + i] = tail[i]!;
    this.#commit(kind, offset, length, lead);
    return true;
  }

  /** Writes an empty record of `kind` (CANCEL); false when there is no room. */
  tryWriteEmpty(kind: RecordKind): boolean {
    const offset = this.#reserve(RECORD_HEADER_BYTES);
    if (offset < 0) return false;
    this.#commit(kind, offset, 0);
    return true;
  }

  /** Frames consumed by the reader so far (wraps at 2^32). */
  readCount(): number {
    return Atomics.load(this.#control, READ_COUNT) >>> 0;
  }

  /**
   * Announces that the writer will wait for space and returns the `spaceSeq` value to wait on.
   * The caller must re-check for room after this, then wait only if there still is none.
   */
  prepareWaitForSpace(): number {
    Atomics.store(this.#control, WRITER_WAITS, 1);
    return Atomics.load(this.#control, SPACE_SEQ);
  }

  #planned = { pad: 0, advance: 0, tail: 0 };

  /** Offset of room for a record of `bytes`, or -1; fills #planned for #commit. */
  #reserve(bytes: number): number {
    const tail = Atomics.load(this.#control, TAIL);
    let head = this.#headSeen;
    let plan = usedBytes(head, tail, this.capacity) < 0 ? undefined : planWrite(head, tail, this.capacity, bytes);
    if (plan === undefined) {
      head = this.#headSeen = Atomics.load(this.#control, HEAD);
      if (usedBytes(head, tail, this.capacity) < 0) throw this.#corrupt(`control block holds impossible positions head=${head} tail=${tail}`);
      plan = planWrite(head, tail, this.capacity, bytes);
      if (plan === undefined) return -1;
    }
    this.#planned.pad = plan.padBytes;
    this.#planned.advance = plan.advanceBytes;
    this.#planned.tail = tail;
    return plan.offset;
  }

  #commit(kind: RecordKind, offset: number, length: number, lead = 0): void {
    const { pad, advance: bytes, tail } = this.#planned;
    const words = this.#words;
    if (pad > 0) {
      const padAt = offsetOf(tail, this.capacity) >> 2;
      words[padAt] = pad - RECORD_HEADER_BYTES;
      words[padAt + 1] = headerWord(RecordKind.PAD);
    }
    words[offset >> 2] = length;
    words[(offset >> 2) + 1] = headerWord(kind, lead);
    // Publishing the tail is the release point: everything above is visible before it.
    Atomics.store(this.#control, TAIL, advance(tail, bytes, this.capacity));
  }

  // ---- reader side -------------------------------------------------------------------------

  /** Whether a record of `payloadBytes` would fit now (writer side; false for a corrupt control block). */
  hasRoomFor(payloadBytes: number): boolean {
    const head = Atomics.load(this.#control, HEAD);
    const tail = Atomics.load(this.#control, TAIL);
    if (usedBytes(head, tail, this.capacity) < 0) return false;
    return planWrite(head, tail, this.capacity, recordBytes(Math.min(payloadBytes, this.maxPayload), RECORD_ALIGN - 1)) !== undefined;
  }

  /** Whether a record is waiting to be read (cheap; no validation). */
  hasData(): boolean {
    return Atomics.load(this.#control, HEAD) !== Atomics.load(this.#control, TAIL);
  }

  /**
   * The next record (PAD records are skipped), or undefined when the ring is empty. The payload
   * is a view into shared memory: use it before `release()`. Throws `SerializationError` for a
   * corrupt control block or record header.
   */
  peek(): RingRecord | undefined {
    const control = this.#control;
    for (;;) {
      let head = Atomics.load(control, HEAD);
      const tail = Atomics.load(control, TAIL);
      const used = usedBytes(head, tail, this.capacity);
      if (used < 0) throw this.#corrupt(`control block holds impossible positions head=${head} tail=${tail}`);
      if (used === 0) return undefined;
      const offset = offsetOf(head, this.capacity);
      const length = this.#words[offset >> 2]!;
      const word = this.#words[(offset >> 2) + 1]!;
      const kind = checkHeader(length, word, offset, used, this.capacity);
      if (typeof kind === "string") throw this.#corrupt(kind);
      if (kind === RecordKind.PAD) {
        head = advance(head, length + RECORD_HEADER_BYTES, this.capacity);
        Atomics.store(control, HEAD, head);
        continue;
      }
      const lead = leadOf(word);
      this.#pendingAdvance = recordBytes(length, lead);
      const start = offset + RECORD_HEADER_BYTES + lead;
      return { kind, payload: this.#data.subarray(start, start + length) };
    }
  }

  /** Frees the record returned by the last `peek()`; `frames` is how many whole frames it completes (0 or 1). */
  release(frames: number): void {
    const control = this.#control;
    const head = advance(Atomics.load(control, HEAD), this.#pendingAdvance, this.capacity);
    Atomics.store(control, HEAD, head);
    this.#pendingAdvance = 0;
    if (frames !== 0) Atomics.add(control, READ_COUNT, frames);
    // Wake a waiting writer only once half the ring is free (or it is empty): one wake-up then
    // lets it write a batch, instead of one wake-up per record freed.
    if (Atomics.load(control, WRITER_WAITS) !== 0) {
      const used = usedBytes(head, Atomics.load(control, TAIL), this.capacity);
      if (used < 0 || used <= this.capacity / 2) this.wakeWriter();
    }
  }

  /** Wakes a writer waiting for space (also used when the reader goes away). */
  wakeWriter(): void {
    Atomics.store(this.#control, WRITER_WAITS, 0);
    Atomics.add(this.#control, SPACE_SEQ, 1);
    Atomics.notify(this.#control, SPACE_SEQ);
  }

  #corrupt(what: string): TransportError {
    return new TransportError("SerializationError", `${this.name} is corrupt: ${what}`);
  }
}
