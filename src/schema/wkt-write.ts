/**
 * Decoded well-known types → their own proto3 JSON forms: Timestamp, Duration, FieldMask,
 * Struct/Value/ListValue, the wrappers and Any. Values JSON cannot express (a Timestamp out
 * of range, a Value without a kind, an Any of an unknown type) are JsonProblems.
 */
import protobuf from "protobufjs";
import { CUSTOM_JSON, fieldName, isWrapper, resolveAnyType } from "./well-known-types.js";
import { int64ToString } from "./int64.js";
import type { JsonWriteOptions, MessageWriter } from "./json-writer.js";
import { scalarWriter } from "./scalars.js";
import { invalidValue, JsonProblem } from "./schema-error.js";
import { formatDuration, formatFieldMask, formatTimestamp } from "./wkt-text.js";

const hasOwn = Object.prototype.hasOwnProperty;

/** The writer of a well-known type's own JSON form; undefined for other types. */
export function wellKnownWriter(type: protobuf.Type, writerOf: (type: protobuf.Type) => MessageWriter): MessageWriter | undefined {
  if (!CUSTOM_JSON.has(type.fullName)) return undefined;
  type.resolveAll();
  const label = type.fullName.slice(1);
  const first = fieldName(type, 1);
  switch (type.fullName) {
    case ".google.protobuf.Timestamp":
    case ".google.protobuf.Duration": {
      const nanosName = fieldName(type, 2);
      const format = type.fullName === ".google.protobuf.Timestamp" ? formatTimestamp : formatDuration;
      return (message) => {
        const seconds = Number(int64ToString(message[first], false));
        const text = format(seconds, message[nanosName]);
        if (text === undefined) throw invalidValue(label, `seconds ${seconds} and nanos ${message[nanosName]} are out of its range`);
        return text;
      };
    }
    case ".google.protobuf.FieldMask":
      return (message) => {
        const text = formatFieldMask(message[first]);
        if (text === undefined) throw invalidValue(label, `a path of ${JSON.stringify(message[first])} has no lowerCamelCase form that reads back the same`);
        return text;
      };
    case ".google.protobuf.Struct":
      return structWriter(type, writerOf);
    case ".google.protobuf.ListValue": {
      const valueType = type.fieldsById[1]!.resolvedType as protobuf.Type;
      return (message, options) => (message[first] as unknown[]).map((item, i) => indexed(writerOf(valueType), item, options, `[${i}]`));
    }
    case ".google.protobuf.Value":
      return valueWriter(type, writerOf);
    case ".google.protobuf.Any":
      return anyWriter(type, writerOf);
  }
  if (isWrapper(type)) {
    const write = scalarWriter(type.fieldsById[1]!.type);
    return (message) => write(message[first]);
  }
  return undefined;
}

function structWriter(type: protobuf.Type, writerOf: (type: protobuf.Type) => MessageWriter): MessageWriter {
  const name = fieldName(type, 1);
  const valueType = (type.fieldsById[1]!.resolvedType as protobuf.Type);
  return (message, options) => {
    const fields = message[name] as Record<string, unknown>;
    const json: Record<string, unknown> = {};
    for (const key of Object.keys(fields)) {
      if (key === "__proto__") Object.defineProperty(json, key, { enumerable: true, writable: true, configurable: true });
      json[key] = indexed(writerOf(valueType), fields[key], options, `[${JSON.stringify(key)}]`);
    }
    return json;
  };
}

function valueWriter(type: protobuf.Type, writerOf: (type: protobuf.Type) => MessageWriter): MessageWriter {
  const kinds = type.fieldsArray.slice().sort((a, b) => a.id - b.id);
  return (message, options) => {
    for (const kind of kinds) {
      if (!hasOwn.call(message, kind.name) || message[kind.name] == null) continue;
      const value = message[kind.name];
      switch (kind.id) {
        case 1:
          return null;
        case 2:
          if (!Number.isFinite(value)) throw invalidValue("google.protobuf.Value", `${value} is not a JSON number`);
          return value;
        case 3:
        case 4:
          return value;
        default:
          return writerOf(kind.resolvedType as protobuf.Type)(value, options);
      }
    }
    throw invalidValue("google.protobuf.Value", "no kind is set (null, number, string, bool, struct or list)");
  };
}

function anyWriter(type: protobuf.Type, writerOf: (type: protobuf.Type) => MessageWriter): MessageWriter {
  const urlName = fieldName(type, 1);
  const valueName = fieldName(type, 2);
  return (message, options) => {
    const url = message[urlName] as string;
    if (url === "") return {};
    const embedded = resolveAnyType(type.root, url);
    if (embedded === undefined) throw invalidValue("google.protobuf.Any", `unknown type ${JSON.stringify(url)}: it is not in the loaded schema`);
    let decoded: protobuf.Message;
    try {
      decoded = embedded.decode(message[valueName] as Uint8Array);
    } catch (error) {
      throw invalidValue("google.protobuf.Any", `its value is not a valid ${embedded.fullName.slice(1)}: ${(error as Error).message}`);
    }
    const json = writerOf(embedded)(decoded, options);
    if (CUSTOM_JSON.has(embedded.fullName)) return { "@type": url, value: json };
    return { "@type": url, ...(json as Record<string, unknown>) };
  };
}

function indexed(write: MessageWriter, value: unknown, options: JsonWriteOptions, segment: string): unknown {
  try {
    return write(value, options);
  } catch (error) {
    if (error instanceof JsonProblem) error.at(segment);
    throw error;
  }
}
