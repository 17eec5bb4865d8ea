import { describe, expect, it } from "vitest";
import { ComputeServiceDefinition, FibonacciRequest, FibonacciResponse, SumRequest, SumResponse } from "../../generated/swarm/examples/v1/compute.js";
import { createJsonCodec, findMethod, listMethods, listServices } from "../../src/schema/index.js";
import { loadProtoFiles } from "../../src/schema/load-proto-files.js";

const PROTO = "proto/swarm/examples/v1/compute.proto";

describe("run-time schemas (protobufjs)", () => {
  it("loads .proto files and finds methods in every spelling", async () => {
    const root = await loadProtoFiles([PROTO]);
    expect(listServices(root)).toEqual(["swarm.examples.v1.ComputeService"]);
    for (const name of ["swarm.examples.v1.ComputeService/Fibonacci", "/swarm.examples.v1.ComputeService/Fibonacci", "swarm.examples.v1.ComputeService.Fibonacci"]) {
      expect(findMethod(root, name).path).toBe(`/${ComputeServiceDefinition.fullName}/Fibonacci`);
    }
    expect(findMethod(root, "swarm.examples.v1.ComputeService/CountTo")).toMatchObject({ requestStream: false, responseStream: true });
    expect(listMethods(root).map((m) => m.path)).toEqual(["Fibonacci", "CountTo", "Sum", "Chat", "Echo"].map((m) => `/swarm.examples.v1.ComputeService/${m}`));
  });

  it("encodes JSON exactly as the generated codec does, and decodes its bytes", async () => {
    const root = await loadProtoFiles([PROTO]);
    const fibonacci = findMethod(root, "swarm.examples.v1.ComputeService/Fibonacci");
    expect(FibonacciRequest.decode(createJsonCodec(fibonacci.requestType).fromJson({ n: 42 }))).toEqual({ n: 42 });
    expect(createJsonCodec(fibonacci.responseType).toJson(FibonacciResponse.encode({ value: 267914296 }).finish())).toEqual({ value: "267914296" });
    // proto3 JSON writes 64-bit integers as strings
    const sum = findMethod(root, "swarm.examples.v1.ComputeService/Sum");
    expect(SumRequest.decode(createJsonCodec(sum.requestType).fromJson({ value: "-9007199254740991" }))).toEqual({ value: -9007199254740991 });
    expect(() => createJsonCodec(sum.requestType).fromJson({ value: "twelve" })).toThrow('invalid value for field "value" (int64): "twelve" is not a number');
    expect(createJsonCodec(sum.responseType).toJson(SumResponse.encode({ total: -5, count: 2 }).finish())).toEqual({ total: "-5", count: 2 });
  });

  it("unknown services, methods and fields get one clear line", async () => {
    const root = await loadProtoFiles([PROTO]);
    expect(() => findMethod(root, "swarm.examples.v1.Nope/X")).toThrow(/unknown service swarm.examples.v1.Nope; the schema has: swarm.examples.v1.ComputeService/);
    expect(() => findMethod(root, "swarm.examples.v1.ComputeService/Nope")).toThrow(/unknown method Nope .* it has: Fibonacci, CountTo, Sum, Chat, Echo/);
    expect(() => findMethod(root, "nonsense")).toThrow(/not of the form/);
    const codec = createJsonCodec(findMethod(root, "swarm.examples.v1.ComputeService/Fibonacci").requestType);
    expect(() => codec.fromJson({ m: 1 })).toThrow('unknown field "m" in swarm.examples.v1.FibonacciRequest; its fields: n');
    expect(() => codec.fromJson({ n: "many" })).toThrow('invalid value for field "n" (uint32): "many" is not a number');
    expect(() => codec.fromJson([1])).toThrow("invalid value for swarm.examples.v1.FibonacciRequest: expected a JSON object, got [1]");
  });

  it("a missing file is a clear error", async () => {
    await expect(loadProtoFiles(["no/such.proto"])).rejects.toThrow(/cannot load no\/such.proto/);
    await expect(loadProtoFiles([])).rejects.toThrow(/no .proto file given/);
  });
});
