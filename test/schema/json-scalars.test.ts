// Scalar and enum values of proto3 JSON, read and written, one rule per test.
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { beforeAll, describe, expect, it } from "vitest";
import type { JsonCodec } from "../../src/schema/index.js";
import { AllTypesSchema, Color } from "./generated/swarm/testing/v1/all_types_pb.js";
import { ClosedColor, Proto2MessageSchema } from "./generated/swarm/testing/v1/closed_enum_pb.js";
import { codecOf, thrown } from "./fixture.js";

let codec: JsonCodec;
const read = (json: unknown) => fromBinary(AllTypesSchema, codec.fromJson(json));
const write = (init: MessageInitShape<typeof AllTypesSchema>) => codec.toJson(toBinary(AllTypesSchema, create(AllTypesSchema, init)));

beforeAll(async () => {
  codec = await codecOf("swarm.testing.v1.AllTypes");
});

describe("32-bit integers", () => {
  it.each([
    [42, 42],
    ["42", 42],
    [4294967295, 4294967295],
    ["4294967295", 4294967295],
    ["1e2", 100],
    ["-0", 0],
    [7.0, 7],
  ])("uint32 reads %j as %d", (json, value) => {
    expect(read({ fUint32: json }).fUint32).toBe(value);
  });

  it.each([
    [-1, "-1 is out of range"],
    [4294967296, "4294967296 is out of range"],
    ["4294967296", '"4294967296" is out of range'],
    [1.5, "1.5 is not an integer"],
    ["1.5", '"1.5" is not an integer'],
    ["abc", '"abc" is not a number'],
    ["", '"" is not a number'],
    [" 1", '" 1" is not a number'],
    ["0x10", '"0x10" is not a number'],
    ["01", '"01" is not a number'],
    [true, "expected a number, got true"],
    [[1], "expected a number, got [1]"],
    [{}, "expected a number, got {}"],
  ])("uint32 refuses %j", (json, reason) => {
    expect(thrown(() => codec.fromJson({ fUint32: json }))).toBe(`invalid value for field "fUint32" (uint32): ${reason}`);
  });

  it("checks each type's own range", () => {
    expect(read({ fInt32: -2147483648, fSint32: "2147483647", fSfixed32: -1, fFixed32: "4294967295" })).toMatchObject({ fInt32: -2147483648, fSint32: 2147483647, fSfixed32: -1, fFixed32: 4294967295 });
    expect(thrown(() => codec.fromJson({ fInt32: 2147483648 }))).toMatch(/"fInt32" \(int32\): 2147483648 is out of range/);
    expect(thrown(() => codec.fromJson({ fSint32: "-2147483649" }))).toMatch(/"fSint32" \(sint32\).*out of range/);
    expect(thrown(() => codec.fromJson({ fFixed32: -1 }))).toMatch(/"fFixed32" \(fixed32\).*out of range/);
  });

  it("writes numbers", () => {
    expect(write({ fInt32: -5, fUint32: 4294967295 })).toEqual({ fInt32: -5, fUint32: 4294967295 });
  });
});

describe("64-bit integers", () => {
  it.each([
    ["fInt64", "9223372036854775807", 9223372036854775807n],
    ["fInt64", "-9223372036854775808", -9223372036854775808n],
    ["fInt64", 9007199254740991, 9007199254740991n],
    ["fInt64", -42, -42n],
    // the mapping allows exponents in 64-bit strings (as Go's protojson does); @bufbuild/protobuf refuses them
    ["fInt64", "1e3", 1000n],
    ["fInt64", "12.50e1", 125n],
    ["fUint64", "18446744073709551615", 18446744073709551615n],
    ["fSint64", "-9223372036854775808", -9223372036854775808n],
    ["fFixed64", "18446744073709551615", 18446744073709551615n],
    ["fSfixed64", "-1", -1n],
  ] as const)("%s reads %j exactly", (field, json, value) => {
    expect(read({ [field]: json })[field]).toBe(value);
  });

  it.each([
    ["fInt64", "9223372036854775808", '"9223372036854775808" is out of range'],
    // beyond 2^53 a JSON number may already be rounded: only strings are exact (@bufbuild/protobuf takes the number)
    ["fInt64", 9007199254740992, "9007199254740992 is not exact as a number; write 64-bit integers as strings"],
    ["fInt64", 1.5, "1.5 is not an integer"],
    ["fInt64", "1.5", '"1.5" is not an integer'],
    ["fInt64", "1e-1", '"1e-1" is not an integer'],
    ["fInt64", "abc", '"abc" is not a number'],
    ["fInt64", "", '"" is not a number'],
    ["fInt64", true, "expected a decimal string or a number, got true"],
    ["fUint64", "-1", '"-1" is out of range'],
    ["fUint64", "18446744073709551616", '"18446744073709551616" is out of range'],
    ["fUint64", "1e20", '"1e20" is out of range'],
  ] as const)("%s refuses %j", (field, json, reason) => {
    expect(thrown(() => codec.fromJson({ [field]: json }))).toBe(`invalid value for field "${field}" (${field === "fInt64" ? "int64" : "uint64"}): ${reason}`);
  });

  it("writes decimal strings", () => {
    expect(write({ fInt64: -9223372036854775808n, fUint64: 18446744073709551615n, fSint64: -1n, fFixed64: 5n, fSfixed64: -4294967296n })).toEqual({
      fInt64: "-9223372036854775808",
      fUint64: "18446744073709551615",
      fSint64: "-1",
      fFixed64: "5",
      fSfixed64: "-4294967296",
    });
  });
});

describe("float and double", () => {
  it.each([
    [1.5, 1.5],
    ["1.5", 1.5],
    ["-2e-3", -0.002],
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
    [1.7976931348623157e308, 1.7976931348623157e308],
  ])("double reads %j", (json, value) => {
    expect(read({ fDouble: json }).fDouble).toBe(value);
  });

  it.each([
    ["1e400", '"1e400" is out of range'],
    ["nan", '"nan" is not a number'],
    ["inf", '"inf" is not a number'],
    ["", '"" is not a number'],
    [true, "expected a number, got true"],
    [NaN, 'NaN must be written as the string "NaN", "Infinity" or "-Infinity"'],
  ])("double refuses %j", (json, reason) => {
    expect(thrown(() => codec.fromJson({ fDouble: json }))).toBe(`invalid value for field "fDouble" (double): ${reason}`);
  });

  it("float refuses values beyond float32 and keeps its special values", () => {
    expect(read({ fFloat: 3.4e38 }).fFloat).toBe(Math.fround(3.4e38));
    expect(thrown(() => codec.fromJson({ fFloat: 3.5e38 }))).toBe('invalid value for field "fFloat" (float): 3.5e+38 is out of range');
    expect(thrown(() => codec.fromJson({ fFloat: "1e39" }))).toMatch(/"fFloat" \(float\): "1e39" is out of range/);
    expect(read({ fFloat: "-Infinity" }).fFloat).toBe(-Infinity);
  });

  it('writes numbers, and "NaN", "Infinity", "-Infinity" as strings; -0 is not the zero value', () => {
    expect(write({ fDouble: NaN, fFloat: Infinity, rDouble: [-Infinity, 0.25] })).toEqual({ fDouble: "NaN", fFloat: "Infinity", rDouble: ["-Infinity", 0.25] });
    expect(Object.is((write({ fDouble: -0 }) as { fDouble: number }).fDouble, -0)).toBe(true);
  });
});

describe("bool, string and bytes", () => {
  it("bool is only true or false", () => {
    expect(read({ fBool: true }).fBool).toBe(true);
    expect(thrown(() => codec.fromJson({ fBool: "true" }))).toBe('invalid value for field "fBool" (bool): expected true or false, got "true"');
    expect(thrown(() => codec.fromJson({ fBool: 1 }))).toBe('invalid value for field "fBool" (bool): expected true or false, got 1');
  });

  it("string is any well-formed string, not a number", () => {
    expect(read({ fString: "héllo 🌍" }).fString).toBe("héllo 🌍");
    expect(thrown(() => codec.fromJson({ fString: 5 }))).toBe('invalid value for field "fString" (string): expected a string, got 5');
    expect(thrown(() => codec.fromJson({ fString: "a\ud800b" }))).toMatch(/"fString" \(string\): .* is not valid UTF-8 \(it has a lone surrogate\)/);
  });

  it.each([
    ["+/8=", [0xfb, 0xff]],
    ["+/8", [0xfb, 0xff]],
    ["-_8=", [0xfb, 0xff]],
    ["-_8", [0xfb, 0xff]],
    ["AQID", [1, 2, 3]],
    ["AQ==", [1]],
    ["AQ", [1]],
    ["", []],
  ])("bytes reads standard and URL-safe base64, padded or not: %j", (json, bytes) => {
    expect([...read({ fBytes: json }).fBytes]).toEqual(bytes);
  });

  it.each(["A", "AQ=", "AQID=", "+_8", "AQ*D", "AQ==AQ=="])("bytes refuses %j", (json) => {
    expect(thrown(() => codec.fromJson({ fBytes: json }))).toBe(`invalid value for field "fBytes" (bytes): ${JSON.stringify(json)} is not base64`);
  });

  it("bytes are written as standard base64 with padding", () => {
    expect(write({ fBytes: new Uint8Array([0xfb, 0xff]), rBytes: [new Uint8Array([1]), new Uint8Array([1, 2, 3])] })).toEqual({ fBytes: "+/8=", rBytes: ["AQ==", "AQID"] });
  });
});

describe("enums", () => {
  it("reads names and numbers; writes names", () => {
    expect(read({ fEnum: "COLOR_RED", rEnum: ["COLOR_GREEN", 1, -1] })).toMatchObject({ fEnum: Color.RED, rEnum: [Color.GREEN, Color.RED, Color.NEGATIVE] });
    expect(write({ fEnum: Color.NEGATIVE, rEnum: [Color.RED, Color.UNSPECIFIED] })).toEqual({ fEnum: "COLOR_NEGATIVE", rEnum: ["COLOR_RED", "COLOR_UNSPECIFIED"] });
  });

  it("keeps unknown numbers of an open enum, and writes them as numbers", () => {
    expect(read({ fEnum: 7 }).fEnum).toBe(7);
    expect(write({ fEnum: 7 as Color })).toEqual({ fEnum: 7 });
  });

  it("refuses unknown names, numeric strings, fractions and numbers beyond int32", () => {
    expect(thrown(() => codec.fromJson({ fEnum: "COLOR_PURPLE" }))).toBe(
      'invalid value for field "fEnum" (swarm.testing.v1.Color): "COLOR_PURPLE" is not one of its values (COLOR_UNSPECIFIED, COLOR_RED, COLOR_GREEN, COLOR_NEGATIVE)',
    );
    expect(thrown(() => codec.fromJson({ fEnum: "1" }))).toMatch(/"1" is not one of its values/);
    expect(thrown(() => codec.fromJson({ fEnum: 1.5 }))).toMatch(/1.5 is not an int32 enum number/);
    expect(thrown(() => codec.fromJson({ fEnum: 2147483648 }))).toMatch(/2147483648 is not an int32 enum number/);
    expect(thrown(() => codec.fromJson({ fEnum: true }))).toMatch(/expected a value name or number, got true/);
  });

  it("with ignoreUnknownFields, skips unknown names: the field stays unset, list items and map entries are dropped", async () => {
    const lenient = await codecOf("swarm.testing.v1.AllTypes", { ignoreUnknownFields: true });
    const message = fromBinary(AllTypesSchema, lenient.fromJson({ fEnum: "COLOR_PURPLE", rEnum: ["COLOR_RED", "COLOR_PURPLE"], mStringEnum: { a: "COLOR_PURPLE", b: "COLOR_GREEN" } }));
    expect(message).toMatchObject({ fEnum: Color.UNSPECIFIED, rEnum: [Color.RED], mStringEnum: { b: Color.GREEN } });
  });

  it("refuses unknown numbers of a closed (proto2) enum", async () => {
    const proto2 = await codecOf("swarm.testing.v1.Proto2Message");
    expect(fromBinary(Proto2MessageSchema, proto2.fromJson({ color: 1, colors: ["CLOSED_COLOR_RED"] }))).toMatchObject({ color: ClosedColor.RED, colors: [ClosedColor.RED] });
    expect(thrown(() => proto2.fromJson({ color: 5 }))).toBe('invalid value for field "color" (swarm.testing.v1.ClosedColor): 5 is not one of its numbers (a closed enum)');
  });

  it("writes proto2 fields that are set, even to their zero value", async () => {
    const proto2 = await codecOf("swarm.testing.v1.Proto2Message");
    expect(proto2.toJson(toBinary(Proto2MessageSchema, create(Proto2MessageSchema, { color: ClosedColor.UNSPECIFIED, count: 0 })))).toEqual({
      color: "CLOSED_COLOR_UNSPECIFIED",
      count: 0,
    });
    expect(proto2.toJson(new Uint8Array(0))).toEqual({});
  });
});
