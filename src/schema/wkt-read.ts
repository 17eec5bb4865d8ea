/**
 * proto3 JSON of the well-known types with a JSON form of their own → protobufjs plain
 * objects: Timestamp, Duration, FieldMask, Struct/Value/ListValue, the wrappers and Any.
 * (Empty is an ordinary message: `{}`.)
 */
import protobuf from "protobufjs";
import { CUSTOM_JSON, fieldName, isWrapper, resolveAnyType } from "./well-known-types.js";
import type { MessageReader } from "./json-reader.js";
import type { ReadContext } from "./read-context.js";
import { scalarReader } from "./scalars.js";
import { describeJson, invalidValue, JsonProblem, unknownField } from "./schema-error.js";
import { parseDuration, parseFieldMask, parseTimestamp, type SecondsNanos } from "./wkt-text.js";

/** The reader of a well-known type's own JSON form; undefined for other types. */
export function wellKnownReader(type: protobuf.Type, readerOf: (type: protobuf.Type) => MessageReader): MessageReader | undefined {
  if (!CUSTOM_JSON.has(type.fullName)) return undefined;
  type.resolveAll();
  switch (type.fullName) {
    case ".google.protobuf.Timestamp":
      return textReader(type, (text) => secondsNanos(type, parseTimestamp(text)));
    case ".google.protobuf.Duration":
      return textReader(type, (text) => secondsNanos(type, parseDuration(text)));
    case ".google.protobuf.FieldMask":
      return textReader(type, (text) => {
        const paths = parseFieldMask(text);
        return typeof paths === "string" ? paths : { [fieldName(type, 1)]: paths };
      });
    case ".google.protobuf.Struct":
      return structReader(type, readerOf);
    case ".google.protobuf.Value":
      return valueReader(type, readerOf);
    case ".google.protobuf.ListValue":
      return listValueReader(type, readerOf);
    case ".google.protobuf.Any":
      return anyReader(type, readerOf);
  }
  if (isWrapper(type)) {
    const name = fieldName(type, 1);
    const read = scalarReader(type.fieldsById[1]!.type);
    return (json) => (json === null ? {} : { [name]: read(json) });
  }
  return undefined;
}

function textReader(type: protobuf.Type, parse: (text: string) => Record<string, unknown> | string): MessageReader {
  const label = type.fullName.slice(1);
  return (json) => {
    if (typeof json !== "string") throw invalidValue(label, `expected a string, got ${describeJson(json)}`);
    const parsed = parse(json);
    if (typeof parsed === "string") throw invalidValue(label, parsed);
    return parsed;
  };
}

function secondsNanos(type: protobuf.Type, parsed: SecondsNanos | string): Record<string, unknown> | string {
  return typeof parsed === "string" ? parsed : { [fieldName(type, 1)]: parsed.seconds, [fieldName(type, 2)]: parsed.nanos };
}

/** Struct, Value and ListValue read each other; they share one depth count with messages. */
function valueReader(valueType: protobuf.Type, readerOf: (type: protobuf.Type) => MessageReader): MessageReader {
  const [nullName, numberName, stringName, boolName, structName, listName] = [1, 2, 3, 4, 5, 6].map((id) => fieldName(valueType, id)) as [string, string, string, string, string, string];
  const readString = scalarReader("string");
  let readStruct: MessageReader | undefined;
  let readList: MessageReader | undefined;
  return (json, ctx) => {
    switch (typeof json) {
      case "number":
        if (!Number.isFinite(json)) throw invalidValue("google.protobuf.Value", `${json} is not a JSON number`);
        return { [numberName]: json };
      case "string":
        return { [stringName]: readString(json) };
      case "boolean":
        return { [boolName]: json };
      case "object":
        if (json === null) return { [nullName]: 0 };
        if (Array.isArray(json)) return { [listName]: (readList ??= readerOf(fieldType(valueType, 6)))(json, ctx) };
        return { [structName]: (readStruct ??= readerOf(fieldType(valueType, 5)))(json, ctx) };
    }
    throw invalidValue("google.protobuf.Value", `expected a JSON value, got ${describeJson(json)}`);
  };
}

function structReader(structType: protobuf.Type, readerOf: (type: protobuf.Type) => MessageReader): MessageReader {
  const name = fieldName(structType, 1);
  const readKey = scalarReader("string");
  let readValue: MessageReader | undefined;
  return (json, ctx) => {
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw invalidValue("google.protobuf.Struct", `expected a JSON object, got ${describeJson(json)}`);
    readValue ??= readerOf(fieldType(structType, 1));
    enter(ctx, "google.protobuf.Struct");
    const fields = Object.create(null) as Record<string, unknown>;
    const object = json as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      try {
        fields[readKey(key) as string] = readValue(object[key], ctx);
      } catch (error) {
        if (error instanceof JsonProblem) error.at(`[${JSON.stringify(key)}]`);
        throw error;
      }
    }
    ctx.depth--;
    return { [name]: fields };
  };
}

function listValueReader(listType: protobuf.Type, readerOf: (type: protobuf.Type) => MessageReader): MessageReader {
  const name = fieldName(listType, 1);
  let readValue: MessageReader | undefined;
  return (json, ctx) => {
    if (!Array.isArray(json)) throw invalidValue("google.protobuf.ListValue", `expected a JSON array, got ${describeJson(json)}`);
    readValue ??= readerOf(fieldType(listType, 1));
    enter(ctx, "google.protobuf.ListValue");
    const values = json.map((item: unknown, i) => {
      try {
        return readValue!(item, ctx);
      } catch (error) {
        if (error instanceof JsonProblem) error.at(`[${i}]`);
        throw error;
      }
    });
    ctx.depth--;
    return { [name]: values };
  };
}

/** `{"@type": URL, ...fields}`, or `{"@type": URL, "value": JSON}` for a type with a JSON form of its own. */
function anyReader(anyType: protobuf.Type, readerOf: (type: protobuf.Type) => MessageReader): MessageReader {
  const urlName = fieldName(anyType, 1);
  const valueName = fieldName(anyType, 2);
  const label = "google.protobuf.Any";
  return (json, ctx) => {
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw invalidValue(label, `expected a JSON object, got ${describeJson(json)}`);
    const object = json as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 0) return {};
    const url = object["@type"];
    if (typeof url !== "string" || url === "") throw invalidValue(label, `"@type" must be a type URL like "type.googleapis.com/pkg.Message", got ${describeJson(url)}`);
    const embedded = resolveAnyType(anyType.root, url);
    if (embedded === undefined) throw invalidValue(label, `unknown type ${JSON.stringify(url)}: it is not in the loaded schema`);
    enter(ctx, label);
    let plain: Record<string, unknown>;
    if (CUSTOM_JSON.has(embedded.fullName)) {
      for (const key of keys) if (key !== "@type" && key !== "value" && !ctx.ignoreUnknownFields) throw unknownField(key, label, ["@type", "value"]);
      if (!Object.prototype.hasOwnProperty.call(object, "value")) throw invalidValue(label, `"value" is missing: ${embedded.fullName.slice(1)} is written as {"@type": ..., "value": ...}`);
      try {
        plain = readerOf(embedded)(object.value, ctx);
      } catch (error) {
        if (error instanceof JsonProblem) error.at("value");
        throw error;
      }
    } else {
      const fields = Object.create(null) as Record<string, unknown>;
      for (const key of keys) if (key !== "@type") fields[key] = object[key];
      plain = readerOf(embedded)(fields, ctx);
    }
    ctx.depth--;
    return { [urlName]: url, [valueName]: embedded.encode(plain).finish() };
  };
}

/** The message type of `type`'s field number `id`. */
function fieldType(type: protobuf.Type, id: number): protobuf.Type {
  return type.fieldsById[id]!.resolve().resolvedType as protobuf.Type;
}

/** Counts one more level of nesting (Struct, ListValue and Any nest without a message reader's count). */
function enter(ctx: ReadContext, label: string): void {
  if (++ctx.depth > ctx.maxDepth) throw invalidValue(label, `values are nested deeper than ${ctx.maxDepth}`);
}
