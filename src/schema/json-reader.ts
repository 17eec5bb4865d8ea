/**
 * proto3 JSON → the plain object protobufjs' `Type.encode` writes, validated field by field.
 * Each message type's reader is built once, on first use, from protobufjs reflection; the
 * conversion itself is ours, not protobufjs' lax `fromObject`.
 */
import protobuf from "protobufjs";
import { enumReader, NULL_VALUE } from "./enums.js";
import { SKIP, type ReadContext } from "./read-context.js";
import { mapKeyReader, scalarReader } from "./scalars.js";
import { describeJson, invalidValue, JsonProblem, unknownField } from "./schema-error.js";
import { wellKnownReader } from "./wkt-read.js";

/** Reads one JSON value of a message type into a plain object; throws a JsonProblem. */
export type MessageReader = (json: unknown, ctx: ReadContext) => Record<string, unknown>;
type ValueReader = (json: unknown, ctx: ReadContext) => unknown;

interface FieldEntry {
  /** The protobufjs property the value goes to. */
  readonly name: string;
  readonly read: ValueReader;
  /** JSON null is a value (google.protobuf.Value, NullValue), not "unset". */
  readonly keepsNull: boolean;
  readonly oneof: protobuf.OneOf | null;
  /** The field has two JSON keys (json name and proto name), so JSON can set it twice. */
  readonly aliased: boolean;
}

const readers = new WeakMap<protobuf.Type, MessageReader>();

/** The reader of message `type` (cached per type). */
export function messageReader(type: protobuf.Type): MessageReader {
  let reader = readers.get(type);
  if (reader === undefined) {
    reader = wellKnownReader(type, messageReader) ?? fieldsReader(type);
    readers.set(type, reader);
  }
  return reader;
}

/** A message as a JSON object of its fields; the field table is built on first use, so recursive types are fine. */
function fieldsReader(type: protobuf.Type): MessageReader {
  const label = type.fullName.slice(1);
  let entries: Map<string, FieldEntry> | undefined;
  return (json, ctx) => {
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw invalidValue(label, `expected a JSON object, got ${describeJson(json)}`);
    entries ??= fieldEntries(type);
    if (++ctx.depth > ctx.maxDepth) throw invalidValue(label, `messages are nested deeper than ${ctx.maxDepth}`);
    const object = json as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let seen: Set<FieldEntry> | undefined;
    let oneofs: Map<protobuf.OneOf, string> | undefined;
    for (const key of Object.keys(object)) {
      const entry = entries.get(key);
      if (entry === undefined) {
        if (ctx.ignoreUnknownFields) continue;
        throw unknownField(key, label, type.fieldsArray.map((f) => f.jsonName));
      }
      if (entry.aliased) {
        if ((seen ??= new Set()).has(entry)) throw invalidValue(label, "the field is set twice, by its JSON name and its proto name").at(key);
        seen.add(entry);
      }
      const value = object[key];
      if (value === null && !entry.keepsNull) continue;
      if (entry.oneof !== null) {
        const other = (oneofs ??= new Map()).get(entry.oneof);
        if (other !== undefined) throw invalidValue(`oneof ${entry.oneof.name}`, `"${other}" of the same oneof is set too`).at(key);
        oneofs.set(entry.oneof, key);
      }
      try {
        const read = entry.read(value, ctx);
        if (read !== SKIP) out[entry.name] = read;
      } catch (error) {
        if (error instanceof JsonProblem) error.at(key);
        throw error;
      }
    }
    ctx.depth--;
    return out;
  };
}

function fieldEntries(type: protobuf.Type): Map<string, FieldEntry> {
  const entries = new Map<string, FieldEntry>();
  for (const field of type.fieldsArray) {
    field.resolve();
    const entry: FieldEntry = {
      name: field.name,
      read: fieldReader(field),
      keepsNull: !field.repeated && !field.map && keepsNull(field),
      oneof: field.partOf,
      aliased: field.jsonName !== field.protoName,
    };
    entries.set(field.jsonName, entry).set(field.protoName, entry);
  }
  return entries;
}

function keepsNull(field: protobuf.Field): boolean {
  const name = field.resolvedType?.fullName;
  return name === ".google.protobuf.Value" || name === NULL_VALUE;
}

function fieldReader(field: protobuf.Field): ValueReader {
  const read = singleReader(field);
  const label = typeLabel(field);
  if (field instanceof protobuf.MapField) return mapReader(mapKeyReader(field.keyType), read, keepsNull(field), `map<${field.keyType}, ${label}>`);
  if (field.repeated) return listReader(read, keepsNull(field), label);
  return read;
}

function singleReader(field: protobuf.Field): ValueReader {
  const type = field.resolvedType;
  if (type instanceof protobuf.Enum) return enumReader(type);
  if (type instanceof protobuf.Type) return messageReader(type);
  return scalarReader(field.type);
}

function typeLabel(field: protobuf.Field): string {
  return field.resolvedType === null ? field.type : field.resolvedType.fullName.slice(1);
}

function listReader(read: ValueReader, keepsNull: boolean, label: string): ValueReader {
  return (json, ctx) => {
    if (!Array.isArray(json)) throw invalidValue(`repeated ${label}`, `expected a JSON array, got ${describeJson(json)}`);
    const out: unknown[] = [];
    for (let i = 0; i < json.length; i++) {
      try {
        const item: unknown = json[i];
        if (item === null && !keepsNull) throw invalidValue(label, "a list item must not be null");
        const value = read(item, ctx);
        if (value !== SKIP) out.push(value);
      } catch (error) {
        if (error instanceof JsonProblem) error.at(`[${i}]`);
        throw error;
      }
    }
    return out;
  };
}

function mapReader(readKey: (key: string) => string, read: ValueReader, keepsNull: boolean, label: string): ValueReader {
  return (json, ctx) => {
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw invalidValue(label, `expected a JSON object, got ${describeJson(json)}`);
    // no prototype: a key "__proto__" is an ordinary entry
    const out = Object.create(null) as Record<string, unknown>;
    const object = json as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      try {
        const canonical = readKey(key);
        if (canonical in out) throw invalidValue(label, `the key ${canonical} is given twice`);
        const value = object[key];
        if (value === null && !keepsNull) throw invalidValue(label, "a map value must not be null");
        const entry = read(value, ctx);
        if (entry !== SKIP) out[canonical] = entry;
      } catch (error) {
        if (error instanceof JsonProblem) error.at(`[${JSON.stringify(key)}]`);
        throw error;
      }
    }
    return out;
  };
}
