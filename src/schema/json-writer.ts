/**
 * A message protobufjs decoded → its proto3 JSON: lowerCamelCase json names (or proto names),
 * 64-bit integers as strings, enums by name, bytes as base64, fields without presence left
 * out when zero. Each message type's writer is built once, on first use.
 */
import protobuf from "protobufjs";
import { enumWriter } from "./enums.js";
import { mapKeyWriter, scalarWriter, scalarZeroTest } from "./scalars.js";
import { JsonProblem } from "./schema-error.js";
import { wellKnownWriter } from "./wkt-write.js";

/** Settings of writing proto3 JSON. */
export interface JsonWriteOptions {
  /** Use the fields' proto names ("delay_ms") instead of their JSON names ("delayMs"). Default false. */
  useProtoFieldName?: boolean;
  /** Also write fields without presence that hold their zero value (0, "", [], {}). Default false. */
  emitDefaultValues?: boolean;
}

/** Writes one decoded message as JSON; throws a JsonProblem for a value proto3 JSON cannot express. */
export type MessageWriter = (message: any, options: JsonWriteOptions) => unknown;
type FieldWriter = (message: any, out: Record<string, unknown>, options: JsonWriteOptions) => void;
type ValueWriter = (value: any, options: JsonWriteOptions) => unknown;

const writers = new WeakMap<protobuf.Type, MessageWriter>();
const hasOwn = Object.prototype.hasOwnProperty;

/** The writer of message `type` (cached per type). */
export function messageWriter(type: protobuf.Type): MessageWriter {
  let writer = writers.get(type);
  if (writer === undefined) {
    writer = wellKnownWriter(type, messageWriter) ?? fieldsWriter(type);
    writers.set(type, writer);
  }
  return writer;
}

function fieldsWriter(type: protobuf.Type): MessageWriter {
  let fields: FieldWriter[] | undefined;
  return (message, options) => {
    fields ??= type.fieldsArray
      .slice()
      .sort((a, b) => a.id - b.id)
      .map(fieldWriter);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < fields.length; i++) fields[i]!(message, out, options);
    return out;
  };
}

function fieldWriter(field: protobuf.Field): FieldWriter {
  field.resolve();
  const { name, jsonName, protoName } = field;
  const write = valueWriter(field);
  const keyOf = (options: JsonWriteOptions) => (options.useProtoFieldName === true ? protoName : jsonName);
  if (field instanceof protobuf.MapField) {
    const writeKey = mapKeyWriter(field.keyType);
    return (message, out, options) => {
      const map = message[name] as Record<string, unknown> | null | undefined;
      if (map == null) return;
      const keys = Object.keys(map);
      if (keys.length === 0 && options.emitDefaultValues !== true) return;
      const json: Record<string, unknown> = {};
      let jsonKey = "";
      try {
        for (const key of keys) {
          jsonKey = writeKey(key);
          // a key "__proto__" must become an own property, not the prototype
          if (jsonKey === "__proto__") Object.defineProperty(json, jsonKey, { enumerable: true, writable: true, configurable: true });
          json[jsonKey] = write(map[key], options);
        }
      } catch (error) {
        throw within(error, `[${JSON.stringify(jsonKey)}]`, keyOf(options));
      }
      out[keyOf(options)] = json;
    };
  }
  if (field.repeated) {
    return (message, out, options) => {
      const list = message[name] as unknown[] | null | undefined;
      if (list == null || (list.length === 0 && options.emitDefaultValues !== true)) return;
      const json = new Array<unknown>(list.length);
      let i = 0;
      try {
        for (; i < list.length; i++) json[i] = write(list[i], options);
      } catch (error) {
        throw within(error, `[${i}]`, keyOf(options));
      }
      out[keyOf(options)] = json;
    };
  }
  // protobufjs' hasPresence is false for proto3 message fields, which do have presence
  if (field.hasPresence || field.resolvedType instanceof protobuf.Type) {
    return (message, out, options) => {
      const value = message[name];
      if (value == null || !hasOwn.call(message, name)) return;
      try {
        out[keyOf(options)] = write(value, options);
      } catch (error) {
        throw within(error, keyOf(options));
      }
    };
  }
  const isZero = field.resolvedType instanceof protobuf.Enum ? (value: unknown) => value === 0 : scalarZeroTest(field.type);
  return (message, out, options) => {
    const value = message[name];
    if (value == null || (isZero(value) && options.emitDefaultValues !== true)) return;
    out[keyOf(options)] = write(value, options);
  };
}

/** `error`, with the path segments (innermost first) added when it is a JsonProblem. */
function within(error: unknown, ...segments: string[]): unknown {
  if (error instanceof JsonProblem) for (const segment of segments) error.at(segment);
  return error;
}

/** Writes one value (a list item, a map value, or a singular field's value) of `field`'s type. */
function valueWriter(field: protobuf.Field): ValueWriter {
  const type = field.resolvedType;
  if (type instanceof protobuf.Enum) return enumWriter(type);
  if (type instanceof protobuf.Type) {
    let write: MessageWriter | undefined;
    return (value, options) => (write ??= messageWriter(type))(value, options);
  }
  return scalarWriter(field.type);
}
