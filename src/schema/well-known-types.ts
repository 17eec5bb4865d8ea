/**
 * What the well-known types share between reading and writing: which have a JSON form of
 * their own, and how `google.protobuf.Any` finds the type its "@type" URL names.
 */
import protobuf from "protobufjs";

/** Messages whose proto3 JSON is not a plain object of their fields. */
export const CUSTOM_JSON = new Set(
  ["Any", "Timestamp", "Duration", "FieldMask", "Struct", "Value", "ListValue"]
    .concat(["DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value", "UInt32Value", "BoolValue", "StringValue", "BytesValue"])
    .map((name) => `.google.protobuf.${name}`),
);

/** The wrapper types (`google.protobuf.Int64Value` ...), whose JSON is their `value` field's. */
export function isWrapper(type: protobuf.Type): boolean {
  return CUSTOM_JSON.has(type.fullName) && type.fullName.endsWith("Value") && type.fullName !== ".google.protobuf.Value";
}

/** The protobufjs property of `type`'s field number `id` (well-known types are named differently by different loaders). */
export function fieldName(type: protobuf.Type, id: number): string {
  const field = type.fieldsById[id];
  if (field === undefined) throw new TypeError(`${type.fullName} has no field ${id}`);
  return field.name;
}

let wellKnownRoot: protobuf.Root | undefined;

/**
 * The message type an Any's type URL names ("type.googleapis.com/pkg.Message": the part after
 * the last "/"), looked up in `root`; the well-known types resolve even when `root` does not
 * import them. Undefined when the type is unknown.
 */
export function resolveAnyType(root: protobuf.Root, typeUrl: string): protobuf.Type | undefined {
  const name = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
  if (!/^[A-Za-z_][\w.]*$/.test(name)) return undefined;
  const found = lookupType(root, name);
  if (found !== undefined || !name.startsWith("google.protobuf.")) return found;
  return lookupType((wellKnownRoot ??= loadWellKnownTypes()), name);
}

function lookupType(root: protobuf.Root, name: string): protobuf.Type | undefined {
  let found: protobuf.ReflectionObject | null;
  try {
    found = root.lookup(`.${name}`);
  } catch {
    return undefined;
  }
  if (!(found instanceof protobuf.Type)) return undefined;
  found.resolveAll();
  return found;
}

function loadWellKnownTypes(): protobuf.Root {
  const root = new protobuf.Root();
  for (const file of ["any", "duration", "empty", "field_mask", "struct", "timestamp", "wrappers"]) {
    const json = (protobuf.common as unknown as { get(file: string): protobuf.INamespace | null }).get(`google/protobuf/${file}.proto`);
    if (json !== null) root.addJSON(json.nested ?? {});
  }
  root.resolveAll();
  return root;
}
