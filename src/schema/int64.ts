/**
 * 64-bit integers between proto3 JSON (decimal strings, or numbers that are exact) and
 * protobufjs (numbers when safe, else Long), exactly: nothing wraps, nothing rounds.
 */
import protobuf from "protobufjs";

/** JSON's number grammar (no leading zeros, no "+", no hex), which numeric strings must follow. */
export const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const PARTS = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
const MASK32 = 0xffffffffn;

/** A Long-like value as protobufjs writes and decodes it. */
interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}

/**
 * The exact integer a JSON number string denotes ("12", "1.2e3", "5.0"), or undefined when
 * it denotes a fraction. `text` must match JSON_NUMBER.
 */
export function exactInteger(text: string): bigint | undefined {
  const [, sign, whole, fraction = "", exponent = "0"] = PARTS.exec(text)!;
  let digits = whole! + fraction;
  const scale = Number(exponent) - fraction.length;
  if (/^0*$/.test(digits)) return 0n;
  if (scale < 0) {
    const cut = digits.length + scale;
    if (cut <= 0 || !/^0*$/.test(digits.slice(cut))) return undefined;
    digits = digits.slice(0, cut);
  } else if (scale + digits.length > 40) {
    return (sign === "-" ? -1n : 1n) << 80n; // far outside 64 bits; the range check refuses it
  } else if (scale > 0) {
    digits += "0".repeat(scale);
  }
  const value = BigInt(digits);
  return sign === "-" ? -value : value;
}

/** Whether `value` fits the 64-bit type (`unsigned`: uint64, fixed64). */
export function inInt64Range(value: bigint, unsigned: boolean): boolean {
  return unsigned ? value >= 0n && value <= UINT64_MAX : value >= INT64_MIN && value <= INT64_MAX;
}

/** What protobufjs' writer takes for `value`: a number when exact, else a Long. */
export function toProtobufInt64(value: bigint, unsigned: boolean): number | LongLike {
  if (value >= -9007199254740991n && value <= 9007199254740991n) return Number(value);
  const low = Number(value & MASK32) | 0;
  const high = Number((value >> 32n) & MASK32) | 0;
  const Long = protobuf.util.Long as unknown as { fromBits(low: number, high: number, unsigned: boolean): LongLike } | null;
  return Long ? Long.fromBits(low, high, unsigned) : { low, high, unsigned };
}

/** A decoded 64-bit value (number or Long) as its decimal string. */
export function int64ToString(value: number | LongLike, unsigned: boolean): string {
  if (typeof value === "number") return String(value);
  return bitsToString(value.low >>> 0, value.high >>> 0, unsigned);
}

/** Whether a decoded 64-bit value (number or Long) is zero. */
export function isZeroInt64(value: number | LongLike): boolean {
  return typeof value === "number" ? value === 0 : (value.low | value.high) === 0;
}

/** A decoded 64-bit map key as its decimal string (protobufjs keys such maps by an 8-char hash when it has Long). */
export function int64KeyToString(key: string, unsigned: boolean): string {
  if (!protobuf.util.Long) return key;
  const bits = protobuf.util.LongBits.fromHash(key);
  return bitsToString(bits.lo >>> 0, bits.hi >>> 0, unsigned);
}

function bitsToString(low: number, high: number, unsigned: boolean): string {
  if (high === 0) return String(low);
  if (!unsigned && high === 0xffffffff && low !== 0) return String(low - 0x100000000);
  const bits = (BigInt(high) << 32n) | BigInt(low);
  return (unsigned ? bits : BigInt.asIntN(64, bits)).toString();
}
