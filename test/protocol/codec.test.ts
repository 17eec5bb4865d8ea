import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Envelope } from "../../generated/swarm/transport/v1/envelope.js";
import { decodeFrame, encodeFrame, FrameFlags, type FrameCodecOptions } from "../../src/protocol/codec.js";
import { Message } from "../../src/protocol/message.js";
import { gzip } from "../../src/node/gzip.js";
import { TransportError } from "../../src/transport/errors.js";
import { envelopeArb } from "./arbitraries.js";

const plain: FrameCodecOptions = { maxMessageSize: 10 * 1024 * 1024, enableCompression: false, compressionThreshold: 1024 };
const compressing: FrameCodecOptions = { ...plain, enableCompression: true, compression: gzip };

describe("frame codec", () => {
  it("encodes a fixed envelope to the documented bytes", () => {
    const envelope: Envelope = {
      id: 1,
      timestampMs: 2,
      source: "a",
      destination: "b",
      version: { major: 1, minor: 0, patch: 0 },
      headers: {},
      priority: undefined,
      ttl: 3,
      payload: { $case: "heartbeat", value: { seq: 7 } },
    };
    const frame = encodeFrame(envelope, plain);
    // flags 0x00 | id=1 | timestamp_ms=2 | source="a" | destination="b" | version{major=1} | ttl=3 | heartbeat{seq=7}
    expect([...frame]).toEqual([
      0x00, 0x08, 0x01, 0x10, 0x02, 0x1a, 0x01, 0x61, 0x22, 0x01, 0x62, 0x2a, 0x02, 0x08, 0x01, 0x40, 0x03, 0x6a, 0x02, 0x08, 0x07,
    ]);
    expect(decodeFrame(frame, plain)).toEqual(envelope);
  });

  it("round-trips arbitrary envelopes, compressed or not", () => {
    fc.assert(
      fc.property(envelopeArb, fc.boolean(), (envelope, compress) => {
        const options = compress ? { ...compressing, compressionThreshold: 0 } : plain;
        const decoded = decodeFrame(encodeFrame(envelope, options), options);
        expect(Envelope.toJSON(decoded)).toEqual(Envelope.toJSON(envelope));
      }),
      { numRuns: 300 },
    );
  });

  it("decoding arbitrary bytes only ever throws a TransportError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        try {
          decodeFrame(bytes, compressing);
        } catch (error) {
          expect(error).toBeInstanceOf(TransportError);
          expect(["SerializationError", "MessageTooLarge"]).toContain((error as TransportError).code);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("decoding mutated valid frames only ever throws a TransportError", () => {
    fc.assert(
      fc.property(envelopeArb, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(), (envelope, position, value, cut) => {
        const frame = encodeFrame(envelope, plain).slice();
        frame[1 + (position % Math.max(1, frame.length - 1))] = value;
        for (const candidate of [frame, frame.subarray(0, 1 + (cut % frame.length))]) {
          try {
            decodeFrame(candidate, plain);
          } catch (error) {
            expect(TransportError.is(error, "SerializationError")).toBe(true);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("compresses at the threshold and marks it with the flag, not the size", () => {
    const small = Message.event("a", "small", "x".repeat(10)).envelope;
    const large = Message.event("a", "large", "x".repeat(5000)).envelope;
    expect(encodeFrame(small, compressing)[0]).toBe(0);
    const frame = encodeFrame(large, compressing);
    expect(frame[0]).toBe(FrameFlags.COMPRESSED);
    expect(frame.length).toBeLessThan(500);
    expect(decodeFrame(frame, compressing)).toEqual(large);
    // disabled compression leaves it alone
    expect(encodeFrame(large, { ...compressing, enableCompression: false })[0]).toBe(0);
  });

  it("sends incompressible data uncompressed even above the threshold", () => {
    const random = new Uint8Array(4096);
    for (let i = 0; i < random.length; i++) random[i] = (Math.random() * 256) | 0;
    expect(encodeFrame(Message.event("a", "r", random).envelope, compressing)[0]).toBe(0);
  });

  it("rejects an empty frame, reserved flags and compressed frames without a compression", () => {
    const valid = encodeFrame(Message.heartbeat("a", 1).envelope, plain);
    expect(() => decodeFrame(new Uint8Array(0), plain)).toThrow(/SerializationError: empty frame/);
    const flagged = valid.slice();
    flagged[0] = 0x82;
    expect(() => decodeFrame(flagged, plain)).toThrow(/reserved flag bits set \(flags 0x82\)/);
    const compressed = encodeFrame(Message.event("a", "e", "y".repeat(4000)).envelope, compressing);
    expect(() => decodeFrame(compressed, plain)).toThrow(/no compression is configured/);
  });

  it("refuses to encode or decode past maxMessageSize with the sizes named", () => {
    const envelope = Message.event("a", "big", new Uint8Array(2000)).envelope;
    const options = { ...plain, maxMessageSize: 1000 };
    const error = (() => {
      try {
        encodeFrame(envelope, options);
      } catch (e) {
        return e as TransportError;
      }
    })();
    expect(error?.code).toBe("MessageTooLarge");
    expect(error?.max).toBe(1000);
    expect(error?.size).toBeGreaterThan(2000);
    const frame = encodeFrame(envelope, plain);
    expect(() => decodeFrame(frame, options)).toThrow(expect.objectContaining({ code: "MessageTooLarge", max: 1000, size: frame.length - 1 }));
  });

  it("stops inflating a compression bomb at maxMessageSize", () => {
    // 50 MiB of zeros gzip to ~50 KB; the limit is 1 MiB.
    const bombBody = gzip.compress(new Uint8Array(50 * 1024 * 1024));
    const frame = new Uint8Array(bombBody.length + 1);
    frame[0] = FrameFlags.COMPRESSED;
    frame.set(bombBody, 1);
    const before = process.memoryUsage().arrayBuffers;
    expect(() => decodeFrame(frame, { ...compressing, maxMessageSize: 1024 * 1024 })).toThrow(
      expect.objectContaining({ code: "MessageTooLarge", max: 1024 * 1024 }),
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(20 * 1024 * 1024);
  });

  it("rejects a corrupt gzip body with SerializationError", () => {
    const frame = Uint8Array.from([FrameFlags.COMPRESSED, 0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef]);
    expect(() => decodeFrame(frame, compressing)).toThrow(expect.objectContaining({ code: "SerializationError" }));
  });

  it("rejects an out-of-range priority", () => {
    const envelope = { ...Message.heartbeat("a", 1).envelope, priority: 300 };
    expect(() => decodeFrame(encodeFrame(envelope, plain), plain)).toThrow(/priority 300 is outside 0..255/);
  });

  it("refuses to encode, and rejects when decoding, JSON nested past the limit", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = [deep];
    const envelope = Message.event("a", "deep", deep as never).envelope;
    expect(() => encodeFrame(envelope, plain)).toThrow(expect.objectContaining({ code: "SerializationError" }));
    const frame = Uint8Array.from([0, ...Envelope.encode(envelope).finish()]);
    expect(() => decodeFrame(frame, plain)).toThrow(expect.objectContaining({ code: "SerializationError" }));
  });
});
