import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Envelope } from "../../generated/swarm/transport/v1/envelope.js";
import { envelopeSizeUpperBound } from "../../src/protocol.js";
import { envelopeArb } from "./arbitraries.js";

describe("envelopeSizeUpperBound", () => {
  it("is never below the encoded size", () => {
    fc.assert(
      fc.property(envelopeArb, (envelope) => {
        expect(envelopeSizeUpperBound(envelope)).toBeGreaterThanOrEqual(Envelope.encode(envelope).finish().length);
      }),
      { numRuns: 1000 },
    );
  });

  it("is close for binary payloads (where it decides alone)", () => {
    const envelope = Envelope.fromPartial({ source: "a", payload: { $case: "event", value: { name: "e", data: { kind: { $case: "binary", value: new Uint8Array(4096) } } } } });
    const exact = Envelope.encode(envelope).finish().length;
    // a fixed overhead per node, nothing per payload byte
    expect(envelopeSizeUpperBound(envelope) - exact).toBeLessThan(2000);
    const big = Envelope.fromPartial({ source: "a", payload: { $case: "event", value: { name: "e", data: { kind: { $case: "binary", value: new Uint8Array(1 << 20) } } } } });
    expect(envelopeSizeUpperBound(big) - Envelope.encode(big).finish().length).toBeLessThan(2000);
  });
});

describe("envelopeSizeUpperBound with lazily encoded typed data", () => {
  it("bounds the encoding of typed messages of the example service", async () => {
    const { TypedData } = await import("../../src/rpc/typed-data.js");
    const { ChatResponse, EchoRequest } = await import("../../generated/swarm/examples/v1/compute.js");
    const { Message } = await import("../../src/protocol/message.js");
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.nat(), fc.uint8Array({ maxLength: 3000 }), (text, seq, bytes) => {
        for (const data of [new TypedData({ text, seq }, ChatResponse), new TypedData({ payload: bytes }, EchoRequest)]) {
          const message = Message.event("a", "e");
          (message.envelope.payload!.value as { data: unknown }).data = data;
          const bound = message.sizeUpperBound(); // before encoding: must not encode
          expect(bound).toBeGreaterThanOrEqual(Envelope.encode(message.envelope).finish().length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
