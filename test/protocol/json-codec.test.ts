import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Envelope } from "../../generated/swarm/transport/v1/envelope.js";
import { envelopeFromJson, envelopeToJson } from "../../src/protocol.js";
import { Message, TransportError } from "../../src/index.js";
import { envelopeArb } from "./arbitraries.js";

describe("JSON debug codec", () => {
  it("writes readable proto3 JSON", () => {
    const m = Message.request("agent_1", "compute_fibonacci", { n: 42 }).withPriority(255);
    const json = JSON.parse(envelopeToJson(m.envelope)) as Record<string, unknown>;
    expect(json).toMatchObject({ source: "agent_1", priority: 255, request: { method: "compute_fibonacci", params: { json: { n: 42 } } } });
  });

  it("round-trips arbitrary envelopes", () => {
    fc.assert(
      // A JSON payload of exactly `null` reads back as "no payload" (generated fromJSON; see docs/wire-format.md).
      fc.property(envelopeArb.filter((e) => !envelopeToJson(e).includes('"json":null')), (envelope) => {
        expect(Envelope.toJSON(envelopeFromJson(envelopeToJson(envelope)))).toEqual(Envelope.toJSON(envelope));
      }),
      { numRuns: 200 },
    );
  });

  it("rejects non-JSON and non-objects with SerializationError", () => {
    for (const text of ["", "{", "[]", "42", "null"]) {
      expect(() => envelopeFromJson(text)).toThrow(TransportError);
    }
    expect(() => envelopeFromJson('{"priority": 999}')).toThrow(/priority 999/);
  });
});
