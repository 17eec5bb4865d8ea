/**
 * HPACK (RFC 7541): header blocks in, name/value lists out, with the dynamic table the peer
 * fills; and header blocks out, written as literals that never touch a dynamic table (so the
 * encoder keeps no state) except for the static table's exact entries (`:status: 200`).
 * Everything is bounded: the dynamic table by our SETTINGS_HEADER_TABLE_SIZE (size updates only
 * at a block's start), a decoded list by `maxListBytes`, integers by 2^31-1 in at most five
 * continuation bytes, Huffman strings by their padding and EOS rules.
 */
import { validName, validValue } from "./h2-request-fields.js";
import { huffmanDecode } from "./huffman.js";

/** The static table (RFC 7541 Appendix A), 1-based. */
const STATIC: readonly (readonly [string, string])[] = [
  ["", ""],
  [":authority", ""], [":method", "GET"], [":method", "POST"], [":path", "/"], [":path", "/index.html"], [":scheme", "http"],
  [":scheme", "https"], [":status", "200"], [":status", "204"], [":status", "206"], [":status", "304"], [":status", "400"],
  [":status", "404"], [":status", "500"], ["accept-charset", ""], ["accept-encoding", "gzip, deflate"], ["accept-language", ""],
  ["accept-ranges", ""], ["accept", ""], ["access-control-allow-origin", ""], ["age", ""], ["allow", ""], ["authorization", ""],
  ["cache-control", ""], ["content-disposition", ""], ["content-encoding", ""], ["content-language", ""], ["content-length", ""],
  ["content-location", ""], ["content-range", ""], ["content-type", ""], ["cookie", ""], ["date", ""], ["etag", ""], ["expect", ""],
  ["expires", ""], ["from", ""], ["host", ""], ["if-match", ""], ["if-modified-since", ""], ["if-none-match", ""], ["if-range", ""],
  ["if-unmodified-since", ""], ["last-modified", ""], ["link", ""], ["location", ""], ["max-forwards", ""], ["proxy-authenticate", ""],
  ["proxy-authorization", ""], ["range", ""], ["referer", ""], ["refresh", ""], ["retry-after", ""], ["server", ""], ["set-cookie", ""],
  ["strict-transport-security", ""], ["transfer-encoding", ""], ["user-agent", ""], ["vary", ""], ["via", ""], ["www-authenticate", ""],
];
const STATIC_COUNT = STATIC.length - 1;

/** A header block that cannot be decoded: the connection fails with COMPRESSION_ERROR. */
export class HpackError extends Error {}

/** Reads header blocks of one connection (the dynamic table lives as long as it does). */
export class HpackDecoder {
  /** Newest first. */
  readonly #table: [string, string][] = [];
  #size = 0;
  #maxSize: number;
  readonly #limit: number;
  /** Dynamic table entries whose name or value RFC 9113 §8.2.1 forbids (kept: the peer will refer to them). */
  readonly #invalid = new WeakSet<[string, string]>();
  #anyInvalid = false;

  /** `maxTableSize`: what we announced as SETTINGS_HEADER_TABLE_SIZE (the peer may ask for less). */
  constructor(maxTableSize = 4096) {
    this.#maxSize = maxTableSize;
    this.#limit = maxTableSize;
  }

  /**
   * The size of the last block's header list (RFC 9113's: names, values and 32 bytes a field),
   * counted to its end even past `maxListBytes`.
   */
  listBytes = 0;

  /** Why the last block's fields are malformed (a name or value RFC 9113 §8.2.1 forbids), or undefined. */
  malformed: string | undefined;

  /**
   * The fields of one complete header block, in order; throws HpackError. A list past
   * `maxListBytes` is decoded to its end all the same (the dynamic table must stay in step with
   * the peer's) but its fields stop there: `listBytes` tells the caller to refuse it.
   */
  decode(block: Uint8Array, maxListBytes: number): [string, string][] {
    const fields: [string, string][] = [];
    const at = { i: 0 };
    let listBytes = 0;
    let malformed: string | undefined;
    while (at.i < block.length) {
      const first = block[at.i]!;
      let field: [string, string];
      if (first & 0x80) {
        field = this.#entry(integer(block, at, 7));
        if (this.#anyInvalid && this.#invalid.has(field)) malformed ??= `invalid header field ${JSON.stringify(field[0])}`;
      } else if (first & 0x40) {
        field = this.#literal(block, at, 6);
        if (!validName(field[0]) || !validValue(field[1])) {
          malformed ??= `invalid header field ${JSON.stringify(field[0])}`;
          this.#invalid.add(field);
          this.#anyInvalid = true;
        }
        this.#insert(field);
      } else if (first & 0x20) {
        // RFC 7541 §4.2: only at the start of a block
        if (listBytes > 0) throw new HpackError("a table size update after a header field");
        const size = integer(block, at, 5);
        if (size > this.#limit) throw new HpackError(`table size update ${size} is over the ${this.#limit} we allow`);
        this.#maxSize = size;
        this.#evict(0);
        continue;
      } else {
        field = this.#literal(block, at, 4); // without indexing, or never indexed
        if (!validName(field[0]) || !validValue(field[1])) malformed ??= `invalid header field ${JSON.stringify(field[0])}`;
      }
      listBytes += field[0].length + field[1].length + 32;
      if (listBytes <= maxListBytes) fields.push(field);
    }
    this.listBytes = listBytes;
    this.malformed = malformed;
    return fields;
  }

  #literal(block: Uint8Array, at: { i: number }, prefix: number): [string, string] {
    const index = integer(block, at, prefix);
    const name = index === 0 ? string(block, at) : this.#entry(index)[0];
    return [name, string(block, at)];
  }

  #entry(index: number): [string, string] {
    if (index === 0) throw new HpackError("index 0");
    if (index <= STATIC_COUNT) return STATIC[index] as [string, string];
    const entry = this.#table[index - STATIC_COUNT - 1];
    if (entry === undefined) throw new HpackError(`index ${index} is past the dynamic table`);
    return entry;
  }

  #insert(field: [string, string]): void {
    const size = field[0].length + field[1].length + 32;
    this.#evict(size);
    if (size > this.#maxSize) return; // an entry larger than the table empties it (done by #evict)
    this.#table.unshift(field);
    this.#size += size;
  }

  /** Drops the oldest entries until `room` more bytes fit. */
  #evict(room: number): void {
    while (this.#table.length > 0 && this.#size + room > this.#maxSize) {
      const [name, value] = this.#table.pop()!;
      this.#size -= name.length + value.length + 32;
    }
  }
}

/**
 * An HPACK integer with an N-bit prefix (RFC 7541 §5.1), at most 2^31-1: at most five
 * continuation bytes, so a run of 0x80 bytes (which adds nothing) cannot go on for ever.
 */
function integer(block: Uint8Array, at: { i: number }, prefix: number): number {
  const mask = (1 << prefix) - 1;
  let value = block[at.i++]! & mask;
  if (value < mask) return value;
  for (let shift = 0; shift <= 28; shift += 7) {
    if (at.i >= block.length) throw new HpackError("truncated integer");
    const byte = block[at.i++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (value > 0x7fffffff) throw new HpackError("integer too large");
    if ((byte & 0x80) === 0) return value;
  }
  throw new HpackError("integer too long");
}

/** An HPACK string literal (RFC 7541 §5.2), Huffman-coded or raw; as latin1 (HTTP field values are octets). */
function string(block: Uint8Array, at: { i: number }): string {
  if (at.i >= block.length) throw new HpackError("truncated string");
  const huffman = (block[at.i]! & 0x80) !== 0;
  const length = integer(block, at, 7);
  const end = at.i + length;
  if (end > block.length) throw new HpackError("truncated string");
  const bytes = block.subarray(at.i, end);
  at.i = end;
  if (!huffman) return latin1(bytes);
  try {
    return huffmanDecode(bytes);
  } catch (error) {
    throw new HpackError((error as Error).message);
  }
}

function latin1(bytes: Uint8Array): string {
  if (bytes.length < 32) {
    let out = "";
    for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]!);
    return out;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** Static-table names by name, for "literal with indexed name". */
const STATIC_NAME = new Map<string, number>();
for (let i = STATIC_COUNT; i >= 1; i--) STATIC_NAME.set(STATIC[i]![0], i);

/**
 * Writes a header block: `:status: 200` as its static entry, everything else as a literal
 * without indexing (indexed name where the static table has it), never Huffman-coded. Names must
 * be lower-case; values latin1.
 */
export function encodeHeaders(fields: Iterable<readonly [string, string]>): Buffer {
  const bytes: number[] = [];
  for (const [name, value] of fields) {
    if (name === ":status" && value === "200") {
      bytes.push(0x88);
      continue;
    }
    const index = STATIC_NAME.get(name);
    if (index !== undefined) {
      writeInteger(bytes, index, 4, 0x00);
    } else {
      bytes.push(0x00);
      writeString(bytes, name);
    }
    writeString(bytes, value);
  }
  return Buffer.from(bytes);
}

function writeInteger(bytes: number[], value: number, prefix: number, flags: number): void {
  const mask = (1 << prefix) - 1;
  if (value < mask) {
    bytes.push(flags | value);
    return;
  }
  bytes.push(flags | mask);
  value -= mask;
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
}

function writeString(bytes: number[], text: string): void {
  writeInteger(bytes, text.length, 7, 0x00);
  for (let i = 0; i < text.length; i++) bytes.push(text.charCodeAt(i) & 0xff);
}
