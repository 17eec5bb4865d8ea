// The gateway's proto3 JSON: the exact mapping of src/schema for methods it has the .proto of
// (the same answers as the CLI's `call --proto`), ts-proto's generated JSON methods otherwise.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createJsonCodec, findMethod } from "../../src/schema/index.js";
import { loadProtoFiles } from "../../src/schema/load-proto-files.js";
import { COMPUTE_PROTO, ECHO, FIBONACCI, post, startGateway, type GatewayFixture } from "./fixture.js";

async function fibonacciRequestError(json: unknown): Promise<string> {
  const codec = createJsonCodec(findMethod(await loadProtoFiles([COMPUTE_PROTO]), FIBONACCI).requestType);
  try {
    codec.fromJson(json);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(json)} was accepted`);
}

describe.each([
  ["a .proto", { protoFiles: [COMPUTE_PROTO] }],
  ["a .proto and a ts-proto definition of the same service", { protoFiles: [COMPUTE_PROTO], services: [ComputeServiceDefinition] }],
])("HTTP gateway JSON with %s: the proto3 JSON mapping", (_what, gateway) => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await startGateway({ gateway });
  });
  afterAll(() => f.close());

  it('reads a uint32 given as a string and writes a uint64 as a string: {"n": "42"} → {"value": "267914296"}', async () => {
    const r = await post(f.baseUrl, FIBONACCI, '{"n": "42"}');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ value: "267914296" });
  });

  it("reads URL-safe base64 without padding, writes standard base64", async () => {
    const r = await post(f.baseUrl, ECHO, JSON.stringify({ payload: "-_8" }));
    expect(r.json()).toEqual({ payload: "+/8=" });
  });

  it.each([
    [{ n: "abc" }, 'invalid value for field "n" (uint32): "abc" is not a number'],
    [{ n: -1 }, 'invalid value for field "n" (uint32): -1 is out of range'],
    [{ n: 4294967296 }, 'invalid value for field "n" (uint32): 4294967296 is out of range'],
    [{ n: 1, m: 2 }, 'unknown field "m" in swarm.examples.v1.FibonacciRequest; its fields: n'],
    [[1], "invalid value for swarm.examples.v1.FibonacciRequest: expected a JSON object, got [1]"],
  ])("answers %j with invalid_argument (HTTP 400) and the message the CLI prints", async (json, message) => {
    const r = await post(f.baseUrl, FIBONACCI, JSON.stringify(json));
    expect(r.status).toBe(400);
    expect(r.json()).toEqual({ code: "invalid_argument", message });
    expect(await fibonacciRequestError(json)).toBe(message);
  });
});

describe("HTTP gateway JSON with only a ts-proto definition: its generated JSON methods", () => {
  let f: GatewayFixture;
  beforeAll(async () => {
    f = await startGateway({ gateway: { services: [ComputeServiceDefinition] } });
  });
  afterAll(() => f.close());

  it("answers as ts-proto's toJSON writes (a uint64 with jstype=JS_NUMBER as a number)", async () => {
    const r = await post(f.baseUrl, FIBONACCI, '{"n": "42"}');
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ value: 267914296 });
  });

  it.each([
    [{ n: "abc" }, /^invalid JSON request for Fibonacci: invalid uint32: NaN/],
    [{ n: -1 }, /^invalid JSON request for Fibonacci: invalid uint32: -1/],
    [{ n: 4294967296 }, /^invalid JSON request for Fibonacci: invalid uint32: 4294967296/],
    [[1], /^invalid JSON request for Fibonacci: expected a JSON object, got \[1\]/],
  ])("answers %j with invalid_argument, not with the message of a 0", async (json, message) => {
    const r = await post(f.baseUrl, FIBONACCI, JSON.stringify(json));
    expect(r.status).toBe(400);
    const error = r.json() as { code: string; message: string };
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toMatch(message);
  });
});
