import { describe, expect, it } from "vitest";
import { ComputeServiceDefinition, FibonacciRequest, FibonacciResponse, SumRequest, SumResponse } from "../../generated/swarm/examples/v1/compute.js";
import { decodeToJson, encodeJson, findMethod, listServices, loadSchema } from "../../src/cli/schema.js";

const PROTO = "proto/swarm/examples/v1/compute.proto";

describe("run-time schemas (protobufjs)", () => {
  it("loads .proto files and finds methods in every spelling", async () => {
    const root = await loadSchema([PROTO]);
    expect(listServices(root)).toEqual(["swarm.examples.v1.ComputeService"]);
    for (const name of ["swarm.examples.v1.ComputeService/Fibonacci", "/swarm.examples.v1.ComputeService/Fibonacci", "swarm.examples.v1.ComputeService.Fibonacci"]) {
      expect(findMethod(root, name).path).toBe(`/${ComputeServiceDefinition.fullName}/Fibonacci`);
    }
    expect(findMethod(root, "swarm.examples.v1.ComputeService/CountTo")).toMatchObject({ requestStream: false, responseStream: true });
  });

  it("encodes JSON exactly as the generated codec does, and decodes its bytes", async () => {
    const root = await loadSchema([PROTO]);
    const method = findMethod(root, "swarm.examples.v1.ComputeService/Fibonacci");
    const bytes = encodeJson(method.requestType, { n: 42 });
    expect(FibonacciRequest.decode(bytes)).toEqual({ n: 42 });
    expect(decodeToJson(method.responseType, FibonacciResponse.encode({ value: 267914296 }).finish())).toEqual({ value: "267914296" });
    // proto3 JSON writes 64-bit integers as strings
    const echoSum = findMethod(root, "swarm.examples.v1.ComputeService/Sum");
    expect(SumRequest.decode(encodeJson(echoSum.requestType, { value: "-9007199254740991" }))).toEqual({ value: -9007199254740991 });
    expect(() => encodeJson(echoSum.requestType, { value: "twelve" })).toThrow(/invalid SumRequest/);
    const sum = findMethod(root, "swarm.examples.v1.ComputeService/Sum");
    expect(decodeToJson(sum.responseType, SumResponse.encode({ total: -5, count: 2 }).finish())).toEqual({ total: "-5", count: 2 });
  });

  it("unknown services, methods and fields get one clear line", async () => {
    const root = await loadSchema([PROTO]);
    expect(() => findMethod(root, "swarm.examples.v1.Nope/X")).toThrow(/unknown service swarm.examples.v1.Nope; the schema has: swarm.examples.v1.ComputeService/);
    expect(() => findMethod(root, "swarm.examples.v1.ComputeService/Nope")).toThrow(/unknown method Nope .* it has: Fibonacci, CountTo, Sum, Chat, Echo/);
    expect(() => findMethod(root, "nonsense")).toThrow(/not of the form/);
    const method = findMethod(root, "swarm.examples.v1.ComputeService/Fibonacci");
    expect(() => encodeJson(method.requestType, { m: 1 })).toThrow(/FibonacciRequest has no field "m"; its fields: n/);
    expect(() => encodeJson(method.requestType, { n: "many" })).toThrow(/invalid FibonacciRequest: n: integer expected/);
    expect(() => encodeJson(method.requestType, [1])).toThrow(/must be a JSON object/);
  });

  it("a missing file is a clear error", async () => {
    await expect(loadSchema(["no/such.proto"])).rejects.toThrow(/cannot load no\/such.proto/);
    await expect(loadSchema([])).rejects.toThrow(/no .proto file given/);
  });
});
