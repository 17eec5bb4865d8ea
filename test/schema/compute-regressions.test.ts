// The disagreements of the two converters this module replaced (the CLI's `call --proto` and
// the HTTP gateway's), each pinned on the example service's schema.
import { beforeAll, describe, expect, it } from "vitest";
import { CountToRequest, FibonacciRequest } from "../../generated/swarm/examples/v1/compute.js";
import { createJsonCodec, findMethod, SchemaError, type JsonCodec } from "../../src/schema/index.js";
import { loadProtoFiles } from "../../src/schema/load-proto-files.js";
import { COMPUTE_PROTO, thrown } from "./fixture.js";

describe("proto3 JSON of the example service (regressions of the old converters)", () => {
  let fibonacci: JsonCodec;
  let countTo: JsonCodec;
  beforeAll(async () => {
    const root = await loadProtoFiles([COMPUTE_PROTO]);
    fibonacci = createJsonCodec(findMethod(root, "swarm.examples.v1.ComputeService/Fibonacci").requestType);
    countTo = createJsonCodec(findMethod(root, "swarm.examples.v1.ComputeService/CountTo").requestType);
  });

  it('accepts a uint32 as a numeric string: {"n": "42"} (the CLI refused it)', () => {
    expect(FibonacciRequest.decode(fibonacci.fromJson({ n: "42" }))).toEqual({ n: 42 });
  });

  it('accepts the proto field name "delay_ms" besides the json name "delayMs" (the CLI refused it)', () => {
    expect(CountToRequest.decode(countTo.fromJson({ n: 3, delay_ms: 250 }))).toEqual({ n: 3, delayMs: 250 });
    expect(CountToRequest.decode(countTo.fromJson({ n: 3, delayMs: 250 }))).toEqual({ n: 3, delayMs: 250 });
  });

  it("refuses uint32 values out of range instead of wrapping them (the CLI sent 4294967295 and 0)", () => {
    expect(thrown(() => fibonacci.fromJson({ n: -1 }))).toBe('invalid value for field "n" (uint32): -1 is out of range');
    expect(thrown(() => fibonacci.fromJson({ n: 4294967296 }))).toBe('invalid value for field "n" (uint32): 4294967296 is out of range');
    expect(thrown(() => fibonacci.fromJson({ n: "4294967296" }))).toBe('invalid value for field "n" (uint32): "4294967296" is out of range');
  });

  it('refuses {"n": "abc"} instead of reading 0 (the gateway answered 200 {})', () => {
    expect(thrown(() => fibonacci.fromJson({ n: "abc" }))).toBe('invalid value for field "n" (uint32): "abc" is not a number');
    expect(thrown(() => fibonacci.fromJson({ n: 1.5 }))).toBe('invalid value for field "n" (uint32): 1.5 is not an integer');
    expect(thrown(() => fibonacci.fromJson({ n: true }))).toBe('invalid value for field "n" (uint32): expected a number, got true');
  });

  it("throws one typed error carrying the field path", () => {
    let error: unknown;
    try {
      countTo.fromJson({ delay_ms: -5 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaError);
    expect(error).toMatchObject({ name: "SchemaError", fieldPath: "delay_ms" });
  });
});
