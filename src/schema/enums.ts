/**
 * Enum values in proto3 JSON: read by name or by number, written by name. Unknown names are
 * refused (or skipped with `ignoreUnknownFields`); unknown numbers are kept for open (proto3)
 * enums and refused for closed (proto2) ones. `google.protobuf.NullValue` is JSON null.
 */
import type protobuf from "protobufjs";
import { SKIP, type ReadContext } from "./read-context.js";
import { describeJson, invalidValue } from "./schema-error.js";

/** The full name of NullValue, whose only JSON form is null. */
export const NULL_VALUE = ".google.protobuf.NullValue";

/** Reads one JSON enum value: its number, or SKIP. */
export type EnumReader = (json: unknown, ctx: ReadContext) => number | typeof SKIP;

/** The reader of enum `type`'s values. */
export function enumReader(type: protobuf.Enum): EnumReader {
  const label = type.fullName.slice(1);
  const byName = new Map(Object.entries(type.values));
  const known = new Set(byName.values());
  const closed = (type as unknown as { _features?: { enum_type?: string } })._features?.enum_type === "CLOSED";
  const isNullValue = type.fullName === NULL_VALUE;
  return (json, ctx) => {
    if (typeof json === "string") {
      const number = byName.get(json);
      if (number !== undefined) return number;
      if (ctx.ignoreUnknownFields) return SKIP;
      throw invalidValue(label, `${describeJson(json)} is not one of its values (${[...byName.keys()].join(", ")})`);
    }
    if (typeof json === "number") {
      if (!Number.isInteger(json) || json < -0x80000000 || json > 0x7fffffff) throw invalidValue(label, `${describeJson(json)} is not an int32 enum number`);
      if (closed && !known.has(json)) throw invalidValue(label, `${json} is not one of its numbers (a closed enum)`);
      return json;
    }
    if (json === null && isNullValue) return 0;
    throw invalidValue(label, `expected a value name or number, got ${describeJson(json)}`);
  };
}

/** The writer of enum `type`'s values: the name, the number when unknown, null for NullValue. */
export function enumWriter(type: protobuf.Enum): (value: number) => unknown {
  if (type.fullName === NULL_VALUE) return () => null;
  const names = type.valuesById;
  return (value) => names[value] ?? value;
}
