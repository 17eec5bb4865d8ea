// The well-known types' own JSON forms: Timestamp, Duration, Struct/Value/ListValue, the
// wrappers, FieldMask, Empty and Any.
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { anyPack, TimestampSchema } from "@bufbuild/protobuf/wkt";
import protobuf from "protobufjs";
import { beforeAll, describe, expect, it } from "vitest";
import { createJsonCodec, type JsonCodec } from "../../src/schema/index.js";
import { AllTypesSchema, NestedSchema } from "./generated/swarm/testing/v1/all_types_pb.js";
import { codecOf, thrown } from "./fixture.js";

let codec: JsonCodec;
const read = (json: unknown) => fromBinary(AllTypesSchema, codec.fromJson(json));
const write = (init: MessageInitShape<typeof AllTypesSchema>) => codec.toJson(toBinary(AllTypesSchema, create(AllTypesSchema, init)));
const roundTrip = (json: Record<string, unknown>) => codec.toJson(codec.fromJson(json));

beforeAll(async () => {
  codec = await codecOf("swarm.testing.v1.AllTypes");
});

describe("Timestamp", () => {
  it.each([
    ["1972-01-01T10:00:20.021Z", 63108020n, 21000000],
    ["1970-01-01T00:00:00Z", 0n, 0],
    ["1969-12-31T23:59:59.999999999Z", -1n, 999999999],
    ["0001-01-01T00:00:00Z", -62135596800n, 0],
    ["9999-12-31T23:59:59.999999999Z", 253402300799n, 999999999],
    ["1972-01-01T11:00:20.021+01:00", 63108020n, 21000000],
    ["1972-01-01T09:30:20.021-00:30", 63108020n, 21000000],
    ["2024-02-29T00:00:00.5Z", 1709164800n, 500000000],
  ])("reads RFC 3339 %s", (json, seconds, nanos) => {
    expect(read({ timestamp: json }).timestamp).toMatchObject({ seconds, nanos });
  });

  it.each([
    ["0000-12-31T23:59:59Z", "is outside 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z"],
    ["9999-12-31T23:59:59-00:01", "is outside"],
    // @bufbuild/protobuf's Date.parse rolls this over to March 2; Go's protojson refuses it, as we do
    ["2021-02-30T00:00:00Z", "is not a valid date and time"],
    ["2023-02-29T00:00:00Z", "is not a valid date and time"],
    ["2021-01-01T24:00:00Z", "is not a valid date and time"],
    ["2021-01-01T00:00:60Z", "is not a valid date and time"],
    ["2021-01-01 00:00:00Z", "is not an RFC 3339 time"],
    ["2021-01-01T00:00:00", "is not an RFC 3339 time"],
    ["2021-01-01T00:00:00.1234567890Z", "is not an RFC 3339 time"],
  ])("refuses %s", (json, reason) => {
    expect(thrown(() => codec.fromJson({ timestamp: json }))).toMatch(new RegExp(`^invalid value for field "timestamp" \\(google.protobuf.Timestamp\\): "${json}" ${reason}`));
  });

  it("writes UTC with 0, 3, 6 or 9 fractional digits, and refuses what is out of range", () => {
    const at = (seconds: bigint, nanos: number) => write({ timestamp: { seconds, nanos } });
    expect(at(63108020n, 0)).toEqual({ timestamp: "1972-01-01T10:00:20Z" });
    expect(at(63108020n, 21000000)).toEqual({ timestamp: "1972-01-01T10:00:20.021Z" });
    expect(at(63108020n, 21000)).toEqual({ timestamp: "1972-01-01T10:00:20.000021Z" });
    expect(at(63108020n, 21)).toEqual({ timestamp: "1972-01-01T10:00:20.000000021Z" });
    expect(at(-62135596800n, 0)).toEqual({ timestamp: "0001-01-01T00:00:00Z" });
    expect(thrown(() => at(253402300800n, 0))).toMatch(/^invalid value for field "timestamp" \(google.protobuf.Timestamp\): seconds 253402300800 and nanos 0 are out of its range/);
    expect(thrown(() => at(0n, -1))).toMatch(/out of its range/);
  });
});

describe("Duration", () => {
  it.each([
    ["1.5s", 1n, 500000000],
    ["-1.5s", -1n, -500000000],
    ["-0.5s", 0n, -500000000],
    ["0s", 0n, 0],
    ["3s", 3n, 0],
    ["0.000000001s", 0n, 1],
    ["315576000000.999999999s", 315576000000n, 999999999],
  ])("reads %s", (json, seconds, nanos) => {
    expect(read({ duration: json }).duration).toMatchObject({ seconds, nanos });
  });

  // @bufbuild/protobuf takes "1sXYZ" as 1s and "1.0000000001s" as 2.234567891s; Go's protojson refuses both, as we do
  it.each(["1", "1.5", "s", "1.s", "+1s", "1.0000000001s", "315576000001s", "1s ", " 1s", "1sXYZ", "1m"])("refuses %j", (json) => {
    expect(thrown(() => codec.fromJson({ duration: json }))).toMatch(/^invalid value for field "duration" \(google.protobuf.Duration\): /);
  });

  it("writes seconds with 0, 3, 6 or 9 fractional digits", () => {
    const at = (seconds: bigint, nanos: number) => (write({ duration: { seconds, nanos } }) as { duration: string }).duration;
    expect([at(1n, 500000000), at(-1n, -500000000), at(0n, -500000000), at(3n, 0), at(0n, 1), at(0n, 0), at(1n, 10000)]).toEqual(["1.500s", "-1.500s", "-0.500s", "3s", "0.000000001s", "0s", "1.000010s"]);
    expect(thrown(() => at(1n, -1))).toMatch(/out of its range/);
    expect(thrown(() => at(315576000001n, 0))).toMatch(/out of its range/);
  });
});

describe("Struct, Value and ListValue", () => {
  it("are any JSON object, value and array", () => {
    const json = { struct: { a: 1, b: [true, null, "x", { c: {} }], "": -2.5 }, value: { k: [1, [2]] }, listValue: [1, "two", null, { three: 3 }], mStringValue: { n: null, s: "s" }, rValue: [false, []] };
    expect(roundTrip(json)).toEqual(json);
    expect(read({ value: "s" }).value?.kind).toEqual({ case: "stringValue", value: "s" });
    expect(read({ value: 0 }).value?.kind).toEqual({ case: "numberValue", value: 0 });
  });

  it("refuse what their JSON form is not", () => {
    expect(thrown(() => codec.fromJson({ struct: [1] }))).toBe('invalid value for field "struct" (google.protobuf.Struct): expected a JSON object, got [1]');
    expect(thrown(() => codec.fromJson({ listValue: {} }))).toBe('invalid value for field "listValue" (google.protobuf.ListValue): expected a JSON array, got {}');
    expect(thrown(() => codec.fromJson({ struct: { a: { b: ["\ud800"] } } }))).toMatch(/^invalid value for field "struct\["a"\]\["b"\]\[0\]" \(string\): .*lone surrogate/);
  });

  it("writing refuses a Value without a kind, or a number JSON cannot hold", () => {
    expect(thrown(() => write({ value: {} }))).toBe('invalid value for field "value" (google.protobuf.Value): no kind is set (null, number, string, bool, struct or list)');
    expect(thrown(() => write({ rValue: [{ kind: { case: "numberValue", value: 1 } }, { kind: { case: "numberValue", value: NaN } }] }))).toBe(
      'invalid value for field "rValue[1]" (google.protobuf.Value): NaN is not a JSON number',
    );
  });
});

describe("wrappers", () => {
  it("are their scalar's JSON; null leaves them unset", () => {
    const json = { wDouble: "NaN", wFloat: 1.5, wInt64: "-9223372036854775808", wUint64: "18446744073709551615", wInt32: -1, wUint32: 7, wBool: false, wString: "", wBytes: "AQID" };
    expect(roundTrip(json)).toEqual(json);
    expect(read({ wInt64: 5, wUint32: "7" })).toMatchObject({ wInt64: 5n, wUint32: 7 });
    expect(read({ wInt64: null }).wInt64).toBeUndefined();
    expect(roundTrip({ rWInt64: ["1", "0"] })).toEqual({ rWInt64: ["1", "0"] });
  });

  it("refuse values of another type", () => {
    expect(thrown(() => codec.fromJson({ wUint32: -1 }))).toBe('invalid value for field "wUint32" (uint32): -1 is out of range');
    expect(thrown(() => codec.fromJson({ wBool: { value: true } }))).toBe('invalid value for field "wBool" (bool): expected true or false, got {"value":true}');
  });
});

describe("FieldMask", () => {
  it('is lowerCamelCase paths joined by ","', () => {
    expect(read({ fieldMask: "a.bC,dEf,x" }).fieldMask?.paths).toEqual(["a.b_c", "d_ef", "x"]);
    expect(read({ fieldMask: "" }).fieldMask?.paths).toEqual([]);
    expect(write({ fieldMask: { paths: ["user.display_name", "photo"] } })).toEqual({ fieldMask: "user.displayName,photo" });
  });

  it("refuses snake_case and empty paths, and writing paths that would not read back", () => {
    expect(thrown(() => codec.fromJson({ fieldMask: "a_b" }))).toBe('invalid value for field "fieldMask" (google.protobuf.FieldMask): "a_b" is not a lowerCamelCase field path');
    expect(thrown(() => codec.fromJson({ fieldMask: "a,,b" }))).toMatch(/"" is not a lowerCamelCase field path/);
    // @bufbuild/protobuf takes any text without "_" as paths; Go's protojson refuses what is not a field path, as we do
    expect(thrown(() => codec.fromJson({ fieldMask: "1970-01-01T00:00:00Z" }))).toMatch(/"1970-01-01T00:00:00Z" is not a lowerCamelCase field path/);
    expect(thrown(() => write({ fieldMask: { paths: ["foo_1"] } }))).toMatch(/has no lowerCamelCase form that reads back the same/);
    expect(thrown(() => write({ fieldMask: { paths: ["Foo"] } }))).toMatch(/has no lowerCamelCase form/);
  });
});

describe("Empty", () => {
  it("is {}", () => {
    expect(roundTrip({ empty: {} })).toEqual({ empty: {} });
    expect(thrown(() => codec.fromJson({ empty: { x: 1 } }))).toBe('unknown field "empty.x" in google.protobuf.Empty; its fields: none');
  });
});

describe("Any", () => {
  const nested = "type.googleapis.com/swarm.testing.v1.Nested";
  const duration = "type.googleapis.com/google.protobuf.Duration";

  it('is the message\'s fields and "@type", resolved against the loaded schema', () => {
    const json = { any: { "@type": nested, a: 5, child: { b: "x" } } };
    expect(roundTrip(json)).toEqual(json);
    const any = read(json).any!;
    expect(any.typeUrl).toBe(nested);
    expect(fromBinary(NestedSchema, any.value)).toMatchObject({ a: 5, child: { b: "x" } });
  });

  it('is {"@type", "value"} for a type with a JSON form of its own, Any included', () => {
    const json = {
      rAny: [
        { "@type": duration, value: "1.500s" },
        { "@type": "type.googleapis.com/google.protobuf.Value", value: { a: [1] } },
        { "@type": "type.googleapis.com/google.protobuf.Any", value: { "@type": nested, a: 1 } },
        { "@type": "type.googleapis.com/google.protobuf.Empty" },
        {},
      ],
    };
    expect(roundTrip(json)).toEqual(json);
    const packed = toBinary(AllTypesSchema, create(AllTypesSchema, { any: anyPack(TimestampSchema, create(TimestampSchema, { seconds: 1n })) }));
    expect(codec.toJson(packed)).toEqual({ any: { "@type": "type.googleapis.com/google.protobuf.Timestamp", value: "1970-01-01T00:00:01Z" } });
  });

  it("keeps a type URL's own prefix", () => {
    expect(read({ any: { "@type": "example.com/x/swarm.testing.v1.Nested", a: 1 } }).any?.typeUrl).toBe("example.com/x/swarm.testing.v1.Nested");
  });

  it("refuses unknown types, a missing or empty @type, a missing value, and fields of the wrong type", () => {
    expect(thrown(() => codec.fromJson({ any: { "@type": "type.googleapis.com/swarm.testing.v1.Nope" } }))).toBe(
      'invalid value for field "any" (google.protobuf.Any): unknown type "type.googleapis.com/swarm.testing.v1.Nope": it is not in the loaded schema',
    );
    expect(thrown(() => codec.fromJson({ any: { a: 1 } }))).toMatch(/"@type" must be a type URL like "type.googleapis.com\/pkg.Message", got undefined/);
    expect(thrown(() => codec.fromJson({ any: { "@type": "" } }))).toMatch(/"@type" must be a type URL/);
    expect(thrown(() => codec.fromJson({ any: { "@type": duration } }))).toMatch(/"value" is missing: google.protobuf.Duration is written as/);
    // @bufbuild/protobuf ignores keys beside "value" here; Go's protojson refuses them, as we do
    expect(thrown(() => codec.fromJson({ any: { "@type": duration, value: "1s", extra: 1 } }))).toMatch(/unknown field "any.extra" in google.protobuf.Any/);
    expect(thrown(() => codec.fromJson({ any: { "@type": nested, a: "x" } }))).toBe('invalid value for field "any.a" (int32): "x" is not a number');
    expect(thrown(() => codec.fromJson({ any: { "@type": duration, value: 1 } }))).toBe('invalid value for field "any.value" (google.protobuf.Duration): expected a string, got 1');
  });

  it("writing refuses an Any of an unknown type", () => {
    expect(thrown(() => write({ any: { typeUrl: "type.googleapis.com/x.Nope", value: new Uint8Array([8, 1]) } }))).toBe(
      'invalid value for field "any" (google.protobuf.Any): unknown type "type.googleapis.com/x.Nope": it is not in the loaded schema',
    );
  });

  it("resolves the well-known types even when the schema does not import them", () => {
    const root = protobuf.parse('syntax = "proto3"; package p; import "google/protobuf/any.proto"; message M { google.protobuf.Any any = 1; }').root;
    root.addJSON(protobuf.common.get("google/protobuf/any.proto")!.nested!).resolveAll();
    expect(root.lookup("google.protobuf.Duration")).toBeNull();
    const m = createJsonCodec(root.lookupType("p.M"));
    const json = { any: { "@type": duration, value: "2s" } };
    expect(m.toJson(m.fromJson(json))).toEqual(json);
  });
});
