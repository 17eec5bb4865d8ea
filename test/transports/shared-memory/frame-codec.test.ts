import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Data } from "../../../generated/swarm/transport/v1/data.js";
import { Broadcast, Envelope, Event, Heartbeat, Request, Response } from "../../../generated/swarm/transport/v1/envelope.js";
import { ProtocolVersion } from "../../../generated/swarm/transport/v1/version.js";
import { Message } from "../../../src/protocol/message.js";
import { TransportError } from "../../../src/transport/errors.js";
import { decodeSharedFrame } from "../../../src/transports/shared-memory/frame-decoder.js";
import { FrameEncoder } from "../../../src/transports/shared-memory/frame-encoder.js";
import { envelopeArb } from "../../protocol/arbitraries.js";

function generated(envelope: Envelope): Uint8Array {
  const body = Envelope.encode(envelope).finish();
  const frame = new Uint8Array(body.length + 1);
  frame.set(body, 1);
  return frame;
}

describe("FrameEncoder", () => {
  it("knows every field of the messages it encodes by hand (a new proto field must be added to it)", () => {
    // FrameEncoder and decodeSharedFrame list these fields one by one; if this fails, teach them the new field.
    expect(Object.keys(Envelope.create()).sort()).toEqual(["destination", "headers", "id", "payload", "priority", "source", "timestampMs", "ttl", "version"]);
    expect(Object.keys(Request.create()).sort()).toEqual(["correlationId", "method", "params", "timeoutMs"]);
    expect(Object.keys(Response.create()).sort()).toEqual(["correlationId", "outcome", "trailers"]);
    expect(Object.keys(Event.create()).sort()).toEqual(["data", "name"]);
    expect(Object.keys(Broadcast.create()).sort()).toEqual(["data", "topic"]);
    expect(Object.keys(Heartbeat.create()).sort()).toEqual(["seq"]);
    expect(Object.keys(Data.create()).sort()).toEqual(["kind", "typeName"]);
    expect(Object.keys(ProtocolVersion.create()).sort()).toEqual(["major", "minor", "patch"]);
  });

  it("encodes the common messages to exactly the generated encoder's bytes", () => {
    const encoder = new FrameEncoder();
    const messages = [
      Message.event("agent_1", "bench.tick", new Uint8Array(32).fill(7)),
      Message.request("agent_1", "compute", new Uint8Array([1, 2, 3])).withHeader("authorization", "Bearer t").withPriority(255).withTtl(3),
      Message.response("agent_2", 42, new Uint8Array(0)),
      Message.broadcast("a", "topic", undefined).to("b"),
      Message.heartbeat("a", 2 ** 40),
    ];
    for (const message of messages) {
      const pieces = encoder.encode(message.envelope);
      expect(pieces).toBeDefined();
      expect(FrameEncoder.join(pieces!)).toEqual(generated(message.envelope));
    }
  });

  it("declines what it does not handle (JSON data, errors, control)", () => {
    const encoder = new FrameEncoder();
    expect(encoder.encode(Message.event("a", "json", { n: 1 }).envelope)).toBeUndefined();
    expect(encoder.encode(Message.errorResponse("a", 1, 5, "nope").envelope)).toBeUndefined();
    expect(encoder.encode(Message.hello("a").envelope)).toBeUndefined();
  });

  it("property: whatever it encodes is byte-identical to Envelope.encode", () => {
    const encoder = new FrameEncoder();
    fc.assert(
      fc.property(envelopeArb, (envelope) => {
        const pieces = encoder.encode(envelope);
        if (pieces === undefined) return;
        expect(FrameEncoder.join(pieces)).toEqual(generated(envelope));
      }),
      { numRuns: 500 },
    );
  });
});

describe("decodeSharedFrame", () => {
  const options = { maxMessageSize: 1 << 20, enableCompression: false, compressionThreshold: 1024 };

  it("property: gives exactly what the generated decoder gives, for every envelope", () => {
    fc.assert(
      fc.property(envelopeArb, (envelope) => {
        const frame = generated(envelope);
        const shared = new Uint8Array(new SharedArrayBuffer(frame.length));
        shared.set(frame);
        expect(decodeSharedFrame(shared, options)).toEqual(Envelope.decode(frame.subarray(1)));
      }),
      { numRuns: 500 },
    );
  });

  it("copies binary payloads out of shared memory", () => {
    const frame = generated(Message.event("a", "x", new Uint8Array([1, 2, 3])).envelope);
    const shared = new Uint8Array(new SharedArrayBuffer(frame.length));
    shared.set(frame);
    const envelope = decodeSharedFrame(shared, options);
    shared.fill(0);
    const data = envelope.payload?.$case === "event" ? envelope.payload.value.data : undefined;
    expect(data?.kind).toEqual({ $case: "binary", value: new Uint8Array([1, 2, 3]) });
    expect((data?.kind?.value as Uint8Array).buffer).not.toBeInstanceOf(SharedArrayBuffer);
  });

  it("property: arbitrary bytes give an envelope or a TransportError, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const frame = new Uint8Array(bytes.length + 1);
        frame.set(bytes, 1);
        try {
          decodeSharedFrame(frame, options);
        } catch (error) {
          expect(TransportError.is(error)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
