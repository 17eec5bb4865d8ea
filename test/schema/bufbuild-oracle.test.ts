// Property tests of src/schema against @bufbuild/protobuf's toJson/fromJson as the oracle,
// over random messages of the test schema (every scalar type, enums, repeated, maps, oneofs,
// nested and recursive messages, the well-known types).
import { fromBinary, fromJson, toBinary, toJson, type JsonValue } from "@bufbuild/protobuf";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { JsonCodec } from "../../src/schema/index.js";
import { messageArbitrary } from "./arbitrary-message.js";
import { codecOf, registry } from "./fixture.js";
import { AllTypesSchema } from "./generated/swarm/testing/v1/all_types_pb.js";
import { jsonMutations, mutate, knownLaxity } from "./json-mutations.js";

/** Runs per property; SCHEMA_PROPERTY_RUNS=10000 for a deeper search. */
const RUNS = Number(process.env.SCHEMA_PROPERTY_RUNS ?? 300);
/** Valid messages; and messages with, now and then, a well-known type proto3 JSON cannot express. */
const MESSAGES = messageArbitrary(AllTypesSchema, 2);
const ANY_MESSAGES = messageArbitrary(AllTypesSchema, 2, 1);

type Outcome = { json: unknown } | { bytes: string } | { refused: true };

function outcome(run: () => unknown): Outcome {
  try {
    const value = run();
    return value instanceof Uint8Array ? { bytes: Buffer.from(value).toString("hex") } : { json: value };
  } catch {
    return { refused: true };
  }
}

const codecs = new Map<string, JsonCodec>();
async function codec(options: { useProtoFieldName?: boolean; emitDefaultValues?: boolean; ignoreUnknownFields?: boolean } = {}): Promise<JsonCodec> {
  const key = JSON.stringify(options);
  if (!codecs.has(key)) codecs.set(key, await codecOf("swarm.testing.v1.AllTypes", options));
  return codecs.get(key)!;
}

beforeAll(async () => {
  for (const useProtoFieldName of [false, true]) for (const emitDefaultValues of [false, true]) await codec({ useProtoFieldName, emitDefaultValues });
  for (const ignoreUnknownFields of [false, true]) await codec({ ignoreUnknownFields });
});

describe("src/schema against @bufbuild/protobuf (property tests)", () => {
  it("(a) writes the JSON toJson writes, and refuses what it refuses", async () => {
    const options = fc.record({ useProtoFieldName: fc.boolean(), emitDefaultValues: fc.boolean() });
    fc.assert(
      fc.property(ANY_MESSAGES, options, (message, { useProtoFieldName, emitDefaultValues }) => {
        const bytes = toBinary(AllTypesSchema, message);
        const ours = codecs.get(JSON.stringify({ useProtoFieldName, emitDefaultValues }))!;
        const theirs = outcome(() => toJson(AllTypesSchema, fromBinary(AllTypesSchema, bytes), { registry, useProtoFieldName, alwaysEmitImplicit: emitDefaultValues }));
        expect(outcome(() => ours.toJson(bytes))).toEqual(theirs);
      }),
      { numRuns: RUNS },
    );
  });

  it("(b) accepts and refuses the JSON fromJson does, and encodes what it accepts to the same bytes", () => {
    fc.assert(
      fc.property(MESSAGES, fc.boolean(), fc.boolean(), jsonMutations, (message, protoNames, ignoreUnknownFields, mutations) => {
        let json: JsonValue;
        try {
          json = toJson(AllTypesSchema, message, { registry, useProtoFieldName: protoNames });
        } catch (error) {
          throw new Error(`the generator made a message toJson refuses: ${String(error)}`);
        }
        json = mutate(json, mutations);
        const ours = outcome(() => codecs.get(JSON.stringify({ ignoreUnknownFields }))!.fromJson(json));
        const theirs = outcome(() => toBinary(AllTypesSchema, fromJson(AllTypesSchema, json, { registry, ignoreUnknownFields })));
        if ("refused" in ours && "bytes" in theirs && knownLaxity(json) !== undefined) return;
        expect(ours, JSON.stringify(json)).toEqual(theirs);
      }),
      { numRuns: RUNS },
    );
  });

  it("(c) reads back what it writes", async () => {
    const ours = await codec();
    fc.assert(
      fc.property(MESSAGES, (message) => {
        const json = ours.toJson(toBinary(AllTypesSchema, message));
        // in memory, not through JSON.stringify, which writes -0 as 0
        expect(ours.toJson(ours.fromJson(json))).toEqual(json);
      }),
      { numRuns: RUNS },
    );
  });
});
