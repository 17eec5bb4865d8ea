import { describe, expect, it } from "vitest";
import { decodeEnvelope, decodeFrame, encodeFrame, FrameFlags } from "../../src/protocol.js";
import { Message } from "../../src/index.js";
import { encodeBodiesFrame, encodeEnvelopeBody, frameBodies } from "../../src/protocol/batch.js";
import { gzip } from "../../src/node.js";

const plain = { maxMessageSize: 1 << 20, enableCompression: false, compressionThreshold: 1024 };
const zipped = { ...plain, enableCompression: true, compression: gzip };

describe("batch frames", () => {
  it("one body makes a plain frame that decodeFrame reads", () => {
    const body = encodeEnvelopeBody(Message.event("a", "x", { n: 1 }).envelope, plain.maxMessageSize);
    const frame = encodeBodiesFrame([body], plain);
    expect(frame[0]).toBe(0);
    expect(frame).toEqual(encodeFrame(decodeEnvelope(body), plain));
    expect(decodeFrame(frame, plain).source).toBe("a");
  });

  it("several bodies make a batch frame with varint-prefixed records, read back in order", () => {
    const bodies = [1, 2, 3].map((i) => encodeEnvelopeBody(Message.event("a", "n", { i }).envelope, plain.maxMessageSize));
    const frame = encodeBodiesFrame(bodies, plain);
    expect(frame[0]).toBe(FrameFlags.BATCH);
    expect(frame[1]).toBe(bodies[0]!.length);
    expect(frameBodies(frame, plain)).toEqual(bodies);
    expect(() => decodeFrame(frame, plain)).toThrow(/batch frame \(flags 0x02\)/);
  });

  it("compresses the whole batch above the threshold", () => {
    const bodies = Array.from({ length: 20 }, () => encodeEnvelopeBody(Message.event("a", "n", new Uint8Array(200)).envelope, plain.maxMessageSize));
    const frame = encodeBodiesFrame(bodies, zipped);
    expect(frame[0]).toBe(FrameFlags.BATCH | FrameFlags.COMPRESSED);
    expect(frameBodies(frame, zipped).map((b) => decodeEnvelope(b).payload?.$case)).toEqual(Array(20).fill("event"));
  });

  it("rejects malformed batches and reserved bits with SerializationError", () => {
    expect(() => frameBodies(Uint8Array.from([FrameFlags.BATCH]), plain)).toThrow(/empty batch frame/);
    expect(() => frameBodies(Uint8Array.from([FrameFlags.BATCH, 10, 1, 2]), plain)).toThrow(/overruns the batch/);
    expect(() => frameBodies(Uint8Array.from([0x04]), plain)).toThrow(/reserved flag bits set \(flags 0x04\)/);
    expect(() => frameBodies(Uint8Array.from([]), plain)).toThrow(/empty frame/);
  });

  it("bounds the batch content by maxMessageSize", () => {
    const small = { ...plain, maxMessageSize: 100 };
    const bodies = Array.from({ length: 5 }, () => encodeEnvelopeBody(Message.event("a", "n", new Uint8Array(40)).envelope, 1000));
    expect(() => frameBodies(encodeBodiesFrame(bodies, plain), small)).toThrow(expect.objectContaining({ code: "MessageTooLarge", max: 100 }));
    expect(() => encodeEnvelopeBody(Message.event("a", "n", new Uint8Array(200)).envelope, 100)).toThrow(expect.objectContaining({ code: "MessageTooLarge" }));
  });
});
