// fast-check arbitraries of @bufbuild/protobuf messages of any descriptor: every field kind,
// with the well-known types given values that are mostly valid and sometimes not (a
// Timestamp out of range, a Value without a kind, an Any of an unknown type), so that both
// implementations must agree on refusing them too.
import { create, fromJson, ScalarType, type DescField, type DescMessage, type JsonValue, type Message, type MessageShape } from "@bufbuild/protobuf";
import { reflect, type ReflectList, type ReflectMap } from "@bufbuild/protobuf/reflect";
import { anyPack, AnySchema, DurationSchema, EmptySchema, FieldMaskSchema, Int64ValueSchema, ListValueSchema, StructSchema, TimestampSchema, ValueSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { NestedSchema } from "./generated/swarm/testing/v1/all_types_pb.js";

const INT32 = fc.integer();
const UINT32 = fc.integer({ min: 0, max: 0xffffffff });
const INT64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const UINT64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const STRING = fc.string({ unit: "binary", maxLength: 6 });
const JSON_VALUE = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>;

/** Values of a scalar type, edge cases included (NaN, ±Infinity, -0, the ends of every range). */
export function scalarArbitrary(scalar: ScalarType): fc.Arbitrary<unknown> {
  switch (scalar) {
    case ScalarType.DOUBLE:
      return fc.double();
    case ScalarType.FLOAT:
      return fc.float();
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return INT32;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return UINT32;
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return INT64;
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return UINT64;
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.STRING:
      return STRING;
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 7 });
  }
}

/**
 * Messages of `desc`, nested messages down to `depth` levels. `invalid` is the weight (against
 * 30) of values of the well-known types that proto3 JSON cannot express.
 */
export function messageArbitrary<Desc extends DescMessage>(desc: Desc, depth: number, invalid = 0): fc.Arbitrary<MessageShape<Desc>> {
  const special = wellKnownArbitrary(desc, depth, invalid);
  if (special !== undefined) return special as fc.Arbitrary<MessageShape<Desc>>;
  const singles = desc.fields.filter((field) => field.oneof === undefined);
  const values = singles.map((field) => fc.option(valueArbitrary(field, depth, invalid), { nil: undefined, freq: 2 }));
  const choices = desc.oneofs.map((oneof) =>
    fc.option(fc.oneof(...oneof.fields.map((field) => valueArbitrary(field, depth, invalid).map((value) => [field, value] as const))), { nil: undefined }),
  );
  return fc.tuple(fc.tuple(...values), fc.tuple(...choices)).map(([fieldValues, oneofValues]) => {
    const message = reflect(desc);
    singles.forEach((field, i) => setField(message, field, fieldValues[i]));
    for (const choice of oneofValues) if (choice !== undefined) setField(message, choice[0], choice[1]);
    return message.message as MessageShape<Desc>;
  });
}

function valueArbitrary(field: DescField, depth: number, invalid: number): fc.Arbitrary<unknown> {
  switch (field.fieldKind) {
    case "scalar":
      return scalarArbitrary(field.scalar);
    case "enum":
      return enumArbitrary(field.enum);
    case "message":
      return depth > 0 ? messageArbitrary(field.message, depth - 1, invalid) : fc.constant(undefined);
    case "list": {
      const item = field.listKind === "scalar" ? scalarArbitrary(field.scalar) : field.listKind === "enum" ? enumArbitrary(field.enum) : depth > 0 ? messageArbitrary(field.message, depth - 1, invalid) : undefined;
      return item === undefined ? fc.constant([]) : fc.array(item, { maxLength: 3 });
    }
    case "map": {
      const value = field.mapKind === "scalar" ? scalarArbitrary(field.scalar) : field.mapKind === "enum" ? enumArbitrary(field.enum) : depth > 0 ? messageArbitrary(field.message, depth - 1, invalid) : undefined;
      const key = field.mapKey === ScalarType.STRING ? fc.string({ maxLength: 3 }) : scalarArbitrary(field.mapKey);
      return value === undefined ? fc.constant([]) : fc.array(fc.tuple(key, value), { maxLength: 3 });
    }
  }
}

function enumArbitrary(desc: DescField["enum"] & object): fc.Arbitrary<number> {
  const known = fc.constantFrom(...desc.values.map((value) => value.number));
  // NullValue has one value: another number is written as null and read back as that value
  return desc.open && desc.typeName !== "google.protobuf.NullValue" ? fc.oneof({ weight: 4, arbitrary: known }, { weight: 1, arbitrary: INT32 }) : known;
}

function setField(message: ReturnType<typeof reflect>, field: DescField, value: unknown): void {
  if (value === undefined) return;
  switch (field.fieldKind) {
    case "scalar":
    case "enum":
      return message.set(field, value);
    case "message":
      return message.set(field, reflect(field.message, value as Message));
    case "list": {
      const list = message.get(field) as ReflectList;
      for (const item of value as unknown[]) list.add(field.listKind === "message" ? reflect(field.message, item as Message) : item);
      return;
    }
    case "map": {
      const map = message.get(field) as ReflectMap;
      for (const [key, item] of value as [unknown, unknown][]) map.set(key, field.mapKind === "message" ? reflect(field.message, item as Message) : item);
    }
  }
}

/** Mostly valid, sometimes invalid values of the well-known types with a JSON form of their own. */
function wellKnownArbitrary(desc: DescMessage, depth: number, invalid: number): fc.Arbitrary<Message> | undefined {
  const mostly = <T>(valid: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => (invalid === 0 ? valid : fc.oneof({ weight: 30, arbitrary: valid }, { weight: invalid, arbitrary: bad }));
  switch (desc.typeName) {
    case "google.protobuf.Timestamp":
      return mostly(
        fc.record({ seconds: fc.bigInt({ min: -62135596800n, max: 253402300799n }), nanos: fc.integer({ min: 0, max: 999_999_999 }) }),
        fc.record({ seconds: fc.constantFrom(-62135596801n, 253402300800n, 0n), nanos: fc.constantFrom(-1, 1_000_000_000, 0) }),
      ).map((init) => create(TimestampSchema, init));
    case "google.protobuf.Duration":
      return mostly(
        fc.tuple(fc.bigInt({ min: -315576000000n, max: 315576000000n }), fc.integer({ min: 0, max: 999_999_999 })).map(([seconds, nanos]) => ({
          seconds,
          nanos: seconds < 0n || (seconds === 0n && nanos % 2 === 1) ? -nanos : nanos,
        })),
        fc.record({ seconds: fc.constantFrom(1n, -1n, 315576000001n), nanos: fc.constantFrom(-1, 1, 0) }),
      ).map((init) => create(DurationSchema, init));
    case "google.protobuf.FieldMask": {
      const segment = fc.stringMatching(/^[a-z][a-z0-9]{0,3}(_[a-z][a-z0-9]{0,2}){0,2}$/);
      const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join("."));
      return mostly(fc.array(path, { maxLength: 3 }), fc.array(fc.constantFrom("foo_1", "a__b", "Foo", "x_"), { minLength: 1, maxLength: 2 })).map((paths) =>
        create(FieldMaskSchema, { paths }),
      );
    }
    case "google.protobuf.Struct":
      return fc.dictionary(fc.string({ maxLength: 3 }), JSON_VALUE, { maxKeys: 3 }).map((json) => fromJson(StructSchema, json));
    case "google.protobuf.ListValue":
      return fc.array(JSON_VALUE, { maxLength: 3 }).map((json) => fromJson(ListValueSchema, json));
    case "google.protobuf.Value":
      return mostly(
        JSON_VALUE.map((json) => fromJson(ValueSchema, json)),
        fc.constantFrom(create(ValueSchema), create(ValueSchema, { kind: { case: "numberValue", value: NaN } })),
      );
    case "google.protobuf.Any": {
      const packed = [
        messageArbitrary(NestedSchema, 1).map((m) => anyPack(NestedSchema, m)),
        messageArbitrary(TimestampSchema, 0).map((m) => anyPack(TimestampSchema, m)),
        messageArbitrary(DurationSchema, 0).map((m) => anyPack(DurationSchema, m)),
        messageArbitrary(ValueSchema, 0).map((m) => anyPack(ValueSchema, m)),
        messageArbitrary(Int64ValueSchema, 0).map((m) => anyPack(Int64ValueSchema, m)),
        fc.constant(anyPack(EmptySchema, create(EmptySchema))),
        ...(depth > 0 ? [messageArbitrary(AnySchema, depth - 1, invalid).map((m) => anyPack(AnySchema, m))] : []),
      ];
      const odd = fc.constantFrom(create(AnySchema), create(AnySchema, { typeUrl: "type.googleapis.com/swarm.testing.v1.Nope", value: new Uint8Array([8, 1]) }));
      return mostly(fc.oneof(...packed), odd);
    }
  }
  return undefined;
}
