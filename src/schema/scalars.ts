/**
 * Scalar field values between proto3 JSON and what protobufjs encodes and decodes, one
 * reader and one writer per protobuf scalar type. Readers refuse, with a JsonProblem, every
 * value the proto3 JSON mapping does not define: wrong JSON types, fractions for integers,
 * values out of range, non-numeric strings. Nothing wraps, rounds or defaults to zero.
 */
import { decodeBase64, encodeBase64 } from "./base64.js";
import { exactInteger, inInt64Range, int64KeyToString, int64ToString, isZeroInt64, JSON_NUMBER, toProtobufInt64 } from "./int64.js";
import { describeJson, invalidValue } from "./schema-error.js";

/** One JSON value → the value protobufjs' encoder takes for the type; throws a JsonProblem. */
export type ScalarReader = (json: unknown) => unknown;
/** One decoded value → its proto3 JSON. */
export type ScalarWriter = (value: any) => unknown;

const INT32: Readonly<Record<string, readonly [number, number]>> = {
  int32: [-0x80000000, 0x7fffffff],
  sint32: [-0x80000000, 0x7fffffff],
  sfixed32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
  fixed32: [0, 0xffffffff],
};
const INT64 = new Set(["int64", "sint64", "sfixed64", "uint64", "fixed64"]);
const UNSIGNED64 = new Set(["uint64", "fixed64"]);
const DECIMAL_KEY = /^-?\d+$/;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** The reader of scalar `type` ("uint32", "bytes", ...). */
export function scalarReader(type: string): ScalarReader {
  const range = INT32[type];
  if (range !== undefined) return (json) => readInt32(json, type, range[0], range[1]);
  if (INT64.has(type)) {
    const unsigned = UNSIGNED64.has(type);
    return (json) => toProtobufInt64(readInt64(json, type, unsigned), unsigned);
  }
  switch (type) {
    case "double":
    case "float":
      return (json) => readFloat(json, type);
    case "bool":
      return (json) => {
        if (typeof json !== "boolean") throw invalidValue(type, `expected true or false, got ${describeJson(json)}`);
        return json;
      };
    case "string":
      return (json) => readString(json, type);
    case "bytes":
      return (json) => {
        if (typeof json !== "string") throw invalidValue(type, `expected a base64 string, got ${describeJson(json)}`);
        const bytes = decodeBase64(json);
        if (bytes === undefined) throw invalidValue(type, `${describeJson(json)} is not base64`);
        return bytes;
      };
  }
  throw new TypeError(`not a scalar type: ${type}`);
}

/** The writer of scalar `type`. */
export function scalarWriter(type: string): ScalarWriter {
  if (INT32[type] !== undefined || type === "bool" || type === "string") return (value) => value;
  if (INT64.has(type)) {
    const unsigned = UNSIGNED64.has(type);
    return (value) => int64ToString(value, unsigned);
  }
  if (type === "double" || type === "float") {
    return (value: number) => (Number.isFinite(value) ? value : Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
  }
  // an unset bytes field reads as protobufjs' default, which may be a plain empty array
  if (type === "bytes") return (value: Uint8Array | number[]) => encodeBase64(value instanceof Uint8Array ? value : Uint8Array.from(value));
  throw new TypeError(`not a scalar type: ${type}`);
}

/** The test whether a decoded value of scalar `type` is its zero value (fields without presence leave it out). */
export function scalarZeroTest(type: string): (value: any) => boolean {
  if (INT64.has(type)) return isZeroInt64;
  switch (type) {
    case "double":
    case "float":
      return (value) => Object.is(value, 0); // -0 is not the zero value: it has bits of its own on the wire
    case "bool":
      return (value) => value === false;
    case "string":
      return (value) => value === "";
    case "bytes":
      return (value) => value.length === 0;
    default:
      return (value) => value === 0;
  }
}

/**
 * The reader of map keys of scalar `type`: a JSON object key → the canonical key protobufjs'
 * encoder takes ("01" and "1" are one int key; bool keys are "true" and "false").
 */
export function mapKeyReader(type: string): (key: string) => string {
  if (type === "string") return (key) => readString(key, type);
  if (type === "bool") {
    return (key) => {
      if (key !== "true" && key !== "false") throw invalidValue(type, `map key ${describeJson(key)} is not true or false`);
      return key;
    };
  }
  const unsigned = UNSIGNED64.has(type) || type === "uint32" || type === "fixed32";
  const range = INT32[type];
  return (key) => {
    if (!DECIMAL_KEY.test(key)) throw invalidValue(type, `map key ${describeJson(key)} is not a decimal integer`);
    const value = BigInt(key);
    const fits = range !== undefined ? value >= BigInt(range[0]) && value <= BigInt(range[1]) : inInt64Range(value, unsigned);
    if (!fits) throw invalidValue(type, `map key ${key} is out of range`);
    return value.toString();
  };
}

/** The writer of decoded map keys of scalar `type` → JSON object keys. */
export function mapKeyWriter(type: string): (key: string) => string {
  if (INT64.has(type)) {
    const unsigned = UNSIGNED64.has(type);
    return (key) => int64KeyToString(key, unsigned);
  }
  return (key) => key;
}

function readInt32(json: unknown, type: string, min: number, max: number): number {
  let value: number;
  if (typeof json === "number") value = json;
  else if (typeof json === "string" && JSON_NUMBER.test(json)) value = Number(json);
  else throw invalidValue(type, typeof json === "string" ? `${describeJson(json)} is not a number` : `expected a number, got ${describeJson(json)}`);
  if (!Number.isInteger(value)) throw invalidValue(type, `${describeJson(json)} is not an integer`);
  if (value < min || value > max) throw invalidValue(type, `${describeJson(json)} is out of range`);
  return value;
}

function readInt64(json: unknown, type: string, unsigned: boolean): bigint {
  let value: bigint | undefined;
  if (typeof json === "number") {
    if (!Number.isInteger(json)) throw invalidValue(type, `${describeJson(json)} is not an integer`);
    // a JSON number beyond 2^53 may already have been rounded by the parser: only strings are exact there
    if (!Number.isSafeInteger(json)) throw invalidValue(type, `${describeJson(json)} is not exact as a number; write 64-bit integers as strings`);
    value = BigInt(json);
  } else if (typeof json === "string" && JSON_NUMBER.test(json)) {
    value = exactInteger(json);
    if (value === undefined) throw invalidValue(type, `${describeJson(json)} is not an integer`);
  } else {
    throw invalidValue(type, typeof json === "string" ? `${describeJson(json)} is not a number` : `expected a decimal string or a number, got ${describeJson(json)}`);
  }
  if (!inInt64Range(value, unsigned)) throw invalidValue(type, `${describeJson(json)} is out of range`);
  return value;
}

function readFloat(json: unknown, type: string): number {
  let value: number;
  if (typeof json === "number") {
    if (!Number.isFinite(json)) throw invalidValue(type, `${describeJson(json)} must be written as the string "NaN", "Infinity" or "-Infinity"`);
    value = json;
  } else if (typeof json === "string") {
    if (json === "NaN") return NaN;
    if (json === "Infinity") return Infinity;
    if (json === "-Infinity") return -Infinity;
    if (!JSON_NUMBER.test(json)) throw invalidValue(type, `${describeJson(json)} is not a number`);
    value = Number(json);
    if (!Number.isFinite(value)) throw invalidValue(type, `${describeJson(json)} is out of range`);
  } else {
    throw invalidValue(type, `expected a number, got ${describeJson(json)}`);
  }
  if (type === "float" && !Number.isFinite(Math.fround(value))) throw invalidValue(type, `${describeJson(json)} is out of range`);
  return value;
}

function readString(json: unknown, type: string): string {
  if (typeof json !== "string") throw invalidValue(type, `expected a string, got ${describeJson(json)}`);
  if (LONE_SURROGATE.test(json)) throw invalidValue(type, `${describeJson(json)} is not valid UTF-8 (it has a lone surrogate)`);
  return json;
}
