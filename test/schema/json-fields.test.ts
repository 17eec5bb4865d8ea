// Field names, unknown fields, null, repeated fields, maps, oneofs, nested messages and the
// output options of proto3 JSON.
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { beforeAll, describe, expect, it } from "vitest";
import type { JsonCodec } from "../../src/schema/index.js";
import { AllTypesSchema, Color } from "./generated/swarm/testing/v1/all_types_pb.js";
import { codecOf, thrown } from "./fixture.js";

let codec: JsonCodec;
const read = (json: unknown) => fromBinary(AllTypesSchema, codec.fromJson(json));
const bytesOf = (init: MessageInitShape<typeof AllTypesSchema>) => toBinary(AllTypesSchema, create(AllTypesSchema, init));
const write = (init: MessageInitShape<typeof AllTypesSchema>) => codec.toJson(bytesOf(init));

beforeAll(async () => {
  codec = await codecOf("swarm.testing.v1.AllTypes");
});

describe("field names", () => {
  it("reads the json name and the proto name of every field", () => {
    for (const json of [{ fInt32: 5, fieldName1: 1, x1Y: 2, renamed: 3 }, { f_int32: 5, field_name1: 1, x_1_y: 2, custom_json: 3 }]) {
      expect(read(json)).toMatchObject({ fInt32: 5, fieldName1: 1, x1Y: 2, customJson: 3 });
    }
  });

  it("a json_name replaces the lowerCamelCase name", () => {
    expect(thrown(() => codec.fromJson({ customJson: 3 }))).toMatch(/^unknown field "customJson" in swarm.testing.v1.AllTypes; its fields: fDouble, fFloat, /);
  });

  it("refuses one field set by both of its names", () => {
    expect(thrown(() => codec.fromJson({ fInt32: 1, f_int32: 1 }))).toBe('invalid value for field "f_int32" (swarm.testing.v1.AllTypes): the field is set twice, by its JSON name and its proto name');
    expect(thrown(() => codec.fromJson({ renamed: 1, custom_json: null }))).toMatch(/set twice/);
  });

  it("writes json names, or proto names on request", async () => {
    const init = { fInt32: 5, customJson: 3, x1Y: 2, fNested: { a: 1 } };
    expect(write(init)).toEqual({ fInt32: 5, renamed: 3, x1Y: 2, fNested: { a: 1 } });
    const protoNames = await codecOf("swarm.testing.v1.AllTypes", { useProtoFieldName: true });
    expect(protoNames.toJson(bytesOf(init))).toEqual({ f_int32: 5, custom_json: 3, x_1_y: 2, f_nested: { a: 1 } });
  });
});

describe("unknown fields", () => {
  it("are refused, with their path", () => {
    expect(thrown(() => codec.fromJson({ zzz: 1 }))).toMatch(/^unknown field "zzz" in swarm.testing.v1.AllTypes/);
    expect(thrown(() => codec.fromJson({ fNested: { child: { zzz: 1 } } }))).toBe('unknown field "fNested.child.zzz" in swarm.testing.v1.Nested; its fields: a, b, child');
    expect(thrown(() => codec.fromJson({ rNested: [{}, { zzz: 1 }] }))).toBe('unknown field "rNested[1].zzz" in swarm.testing.v1.Nested; its fields: a, b, child');
  });

  it("are skipped with ignoreUnknownFields", async () => {
    const lenient = await codecOf("swarm.testing.v1.AllTypes", { ignoreUnknownFields: true });
    expect(fromBinary(AllTypesSchema, lenient.fromJson({ zzz: 1, fNested: { a: 2, yyy: [] } }))).toMatchObject({ fNested: { a: 2 } });
  });
});

describe("null", () => {
  it("means the default for every kind of field", () => {
    const json = { fInt32: null, fString: null, fBytes: null, fEnum: null, fNested: null, optInt32: null, rInt32: null, mStringString: null, timestamp: null, wInt64: null, struct: null };
    expect(codec.fromJson(json)).toHaveLength(0);
  });

  it("is a value of google.protobuf.Value and google.protobuf.NullValue", () => {
    expect(read({ value: null, nullValue: null })).toMatchObject({ value: { kind: { case: "nullValue", value: 0 } } });
    expect(read({ oNull: null }).choice).toEqual({ case: "oNull", value: 0 });
    expect(read({ oValue: null }).choice).toMatchObject({ case: "oValue", value: { kind: { case: "nullValue" } } });
    expect(read({ rValue: [null, 1] }).rValue.map((v) => v.kind.case)).toEqual(["nullValue", "numberValue"]);
    expect(write({ choice: { case: "oNull", value: 0 }, value: { kind: { case: "nullValue", value: 0 } } })).toEqual({ oNull: null, value: null });
  });

  it("is refused as a list item or a map value", () => {
    expect(thrown(() => codec.fromJson({ rInt32: [1, null] }))).toBe('invalid value for field "rInt32[1]" (int32): a list item must not be null');
    expect(thrown(() => codec.fromJson({ mStringNested: { k: null } }))).toBe('invalid value for field "mStringNested["k"]" (map<string, swarm.testing.v1.Nested>): a map value must not be null');
  });
});

describe("repeated fields", () => {
  it("read JSON arrays of their type, and are written as arrays", () => {
    const json = { rInt64: ["1", 2], rBool: [true, false], rNested: [{ a: 1 }, {}], rString: ["x"] };
    expect(read(json)).toMatchObject({ rInt64: [1n, 2n], rBool: [true, false], rNested: [{ a: 1 }, { a: 0 }], rString: ["x"] });
    expect(write({ rInt64: [1n, 2n], rBool: [true, false], rNested: [{ a: 1 }, {}] })).toEqual({ rInt64: ["1", "2"], rBool: [true, false], rNested: [{ a: 1 }, {}] });
  });

  it("refuse what is not an array, naming the item at fault", () => {
    expect(thrown(() => codec.fromJson({ rInt32: 1 }))).toBe('invalid value for field "rInt32" (repeated int32): expected a JSON array, got 1');
    expect(thrown(() => codec.fromJson({ rUint32: [1, 2, -3] }))).toBe('invalid value for field "rUint32[2]" (uint32): -3 is out of range');
  });
});

describe("maps", () => {
  it("read keys as strings of their key type, and write them as strings", () => {
    const json = { mInt32Int32: { "-1": 1, "02": 2 }, mInt64Int64: { "-9223372036854775808": "1" }, mUint64Uint64: { "18446744073709551615": 1 }, mBoolBool: { true: true, false: false }, mFixed32Fixed32: { "4294967295": 1 } };
    expect(read(json)).toMatchObject({
      mInt32Int32: { "-1": 1, "2": 2 },
      mInt64Int64: { "-9223372036854775808": 1n },
      mUint64Uint64: { "18446744073709551615": 1n },
      mBoolBool: { true: true, false: false },
      mFixed32Fixed32: { "4294967295": 1 },
    });
    const out = write({ mInt64Int64: { "-5": 7n }, mSfixed64Sfixed64: { "-9223372036854775808": -1n }, mBoolBool: { true: false }, mStringNested: { "": { a: 1 } } });
    expect(out).toEqual({ mInt64Int64: { "-5": "7" }, mSfixed64Sfixed64: { "-9223372036854775808": "-1" }, mBoolBool: { true: false }, mStringNested: { "": { a: 1 } } });
  });

  it("refuse keys that are not of the key type, out of range, or given twice", () => {
    expect(thrown(() => codec.fromJson({ mInt32Int32: { a: 1 } }))).toBe('invalid value for field "mInt32Int32["a"]" (int32): map key "a" is not a decimal integer');
    expect(thrown(() => codec.fromJson({ mUint32Uint32: { "-1": 1 } }))).toMatch(/"mUint32Uint32\["-1"\]" \(uint32\): map key -1 is out of range/);
    expect(thrown(() => codec.fromJson({ mBoolBool: { yes: true } }))).toMatch(/map key "yes" is not true or false/);
    expect(thrown(() => codec.fromJson({ mInt32Int32: { "1": 1, "01": 2 } }))).toBe('invalid value for field "mInt32Int32["01"]" (map<int32, int32>): the key 1 is given twice');
    expect(thrown(() => codec.fromJson({ mStringString: ["a"] }))).toMatch(/expected a JSON object, got \["a"\]/);
    expect(thrown(() => codec.fromJson({ mStringNested: { k: { a: "x" } } }))).toBe('invalid value for field "mStringNested["k"].a" (int32): "x" is not a number');
  });

  it('keep a key "__proto__" as an ordinary key', () => {
    const json = JSON.parse('{"mStringString": {"__proto__": "x"}}') as unknown;
    expect(codec.toJson(codec.fromJson(json))).toEqual(json);
  });
});

describe("oneofs", () => {
  it("read and write the member that is set", () => {
    expect(read({ oString: "x" }).choice).toEqual({ case: "oString", value: "x" });
    expect(read({ o_nested: { a: 1 } }).choice).toMatchObject({ case: "oNested", value: { a: 1 } });
    expect(write({ choice: { case: "oUint32", value: 0 } })).toEqual({ oUint32: 0 });
  });

  it("refuse two members of one oneof", () => {
    expect(thrown(() => codec.fromJson({ oUint32: 1, oString: "x" }))).toBe('invalid value for field "oString" (oneof choice): "oUint32" of the same oneof is set too');
    expect(thrown(() => codec.fromJson({ oNull: null, oEnum: "COLOR_RED" }))).toMatch(/"oNull" of the same oneof is set too/);
  });

  it("a member that is null is not set (as in Go's protojson; @bufbuild/protobuf refuses a null message member beside another)", () => {
    expect(read({ oUint32: 1, oNested: null }).choice).toEqual({ case: "oUint32", value: 1 });
  });
});

describe("nested messages", () => {
  it("read and write to any depth, recursion included", () => {
    const json = { fNested: { a: 1, child: { b: "x", child: { a: 2 } } }, recursive: { recursive: { fInt32: 3 } } };
    expect(codec.toJson(codec.fromJson(json))).toEqual(json);
  });

  it("refuse what is not an object, and nesting deeper than maxDepth", async () => {
    expect(thrown(() => codec.fromJson({ fNested: "x" }))).toBe('invalid value for field "fNested" (swarm.testing.v1.Nested): expected a JSON object, got "x"');
    expect(thrown(() => codec.fromJson("x"))).toBe('invalid value for swarm.testing.v1.AllTypes: expected a JSON object, got "x"');
    let deep: unknown = {};
    for (let i = 0; i < 150; i++) deep = { child: deep };
    expect(thrown(() => codec.fromJson({ fNested: deep }))).toMatch(/messages are nested deeper than 100/);
    const shallow = await codecOf("swarm.testing.v1.AllTypes", { maxDepth: 3 });
    expect(thrown(() => shallow.fromJson({ fNested: { child: { child: {} } } }))).toMatch(/^invalid value for field "fNested.child.child" .*nested deeper than 3/);
  });
});

describe("output", () => {
  it("leaves out fields without presence that hold their zero value, keeps the others", () => {
    expect(write({ fInt32: 0, fString: "", fEnum: Color.UNSPECIFIED, rInt32: [], mStringString: {}, optInt32: 0, optString: "", fNested: {}, wInt32: 0 })).toEqual({
      optInt32: 0,
      optString: "",
      fNested: {},
      wInt32: 0,
    });
  });

  it("writes the zero values too with emitDefaultValues", async () => {
    const verbose = await codecOf("swarm.testing.v1.AllTypes", { emitDefaultValues: true });
    const json = verbose.toJson(new Uint8Array(0)) as Record<string, unknown>;
    expect(json).toMatchObject({ fDouble: 0, fInt64: "0", fBool: false, fString: "", fBytes: "", fEnum: "COLOR_UNSPECIFIED", rInt32: [], mStringString: {}, nullValue: null });
    expect(json).not.toHaveProperty("fNested");
    expect(json).not.toHaveProperty("optInt32");
  });

  it("refuses bytes that are not a message of the type", () => {
    expect(thrown(() => codec.toJson(new Uint8Array([0xff, 0xff, 0xff])))).toMatch(/^not a valid swarm.testing.v1.AllTypes: /);
  });
});
