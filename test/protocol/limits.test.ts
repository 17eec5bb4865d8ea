import { describe, expect, it } from "vitest";
import { Envelope } from "../../generated/swarm/transport/v1/envelope.js";
import {
  decodeEnvelope,
  encodeBodiesFrame,
  encodeEnvelopeBody,
  encodeFrame,
  FrameFlags,
  frameBodies,
  MAX_BATCH_RECORDS,
  MAX_HEADER_BYTES,
  MAX_ID_BYTES,
  MAX_NESTING_DEPTH,
  Message,
  type JsonValue,
} from "../../src/protocol.js";
import { envelopeIdAndSource, withTtl } from "../../src/protocol/envelope-bytes.js";
import { gzip } from "../../src/node.js";

const plain = { maxMessageSize: 1 << 20, enableCompression: false, compressionThreshold: 1024 };

function nested(depth: number, pattern: "object" | "array" | "mixed"): JsonValue {
  let value: JsonValue = "leaf";
  for (let i = 0; i < depth; i++) value = pattern === "object" || (pattern === "mixed" && i % 2 === 0) ? { k: value } : [value];
  return value;
}

/** Every arm that carries application data, with `data` in it. */
function carriers(data: JsonValue): Message[] {
  const stream = Message.create("a", { $case: "stream", value: { correlationId: 1, frame: { $case: "message", value: { kind: { $case: "json", value: data }, typeName: "" } }, fromCallee: true } });
  return [
    Message.request("a", "m", data),
    Message.response("a", 1, data),
    Message.errorResponse("a", 1, 2, "failed", data),
    Message.event("a", "e", data),
    Message.broadcast("a", "t", data),
    stream,
  ];
}

/** Bytes the generated encoder produces without any of our checks (what a hostile peer can send). */
function unchecked(message: Message): Uint8Array {
  return Envelope.encode(message.envelope).finish();
}

describe("wire limits: one rule for encoder and decoder", () => {
  it("JSON nesting: every arm, objects, arrays and a mix, accepted at 30 and refused at 31 by both sides", () => {
    for (const pattern of ["object", "array", "mixed"] as const) {
      for (const message of carriers(nested(MAX_NESTING_DEPTH, pattern))) {
        expect(decodeEnvelope(encodeEnvelopeBody(message.envelope, plain.maxMessageSize)).payload?.$case).toBe(message.kind);
      }
      for (const message of carriers(nested(MAX_NESTING_DEPTH + 1, pattern))) {
        expect(() => encodeEnvelopeBody(message.envelope, plain.maxMessageSize)).toThrow(/nested deeper than 30 levels/);
        expect(() => encodeFrame(message.envelope, plain)).toThrow(/nested deeper than 30 levels/);
        expect(() => message.sizeUpperBound()).toThrow(/nested deeper than 30 levels/);
        expect(() => decodeEnvelope(unchecked(message))).toThrow(/nested deeper than 30 levels/);
      }
    }
  });

  it("a cyclic JSON value is refused, not walked forever", () => {
    const cycle: Record<string, unknown> = {};
    cycle["self"] = cycle;
    expect(() => encodeFrame(Message.event("a", "e", cycle as JsonValue).envelope, plain)).toThrow(/nested deeper than 30 levels \(or cyclic\)/);
  });

  it("ids: 256 UTF-8 bytes pass, 257 do not, counted in bytes (a 3-byte character counts 3)", () => {
    const ok = "é".repeat(MAX_ID_BYTES / 2);
    expect(decodeEnvelope(encodeEnvelopeBody(Message.event(ok, "e").to(ok).envelope, plain.maxMessageSize)).source).toBe(ok);
    for (const bad of [Message.event("x".repeat(MAX_ID_BYTES + 1), "e"), Message.event("a", "e").to("€".repeat(86))]) {
      expect(() => encodeEnvelopeBody(bad.envelope, plain.maxMessageSize)).toThrow(/exceeds the limit of 256 bytes/);
      expect(() => decodeEnvelope(unchecked(bad))).toThrow(/exceeds the limit of 256 bytes/);
    }
    const lookup = Message.control("a", { operation: { $case: "lookup", value: { address: "z".repeat(300) } } });
    expect(() => decodeEnvelope(unchecked(lookup))).toThrow(/lookup address of 300 bytes/);
  });

  it("headers, trailers and Hello metadata: at most 64 entries and 64 KiB", () => {
    const many = Message.event("a", "e");
    many.envelope.headers = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"]));
    const big = Message.event("a", "e").withHeader("k", "v".repeat(MAX_HEADER_BYTES));
    const hello = Message.hello("a", { metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"])) });
    for (const message of [many, big, hello]) {
      expect(() => encodeEnvelopeBody(message.envelope, plain.maxMessageSize)).toThrow(/headers|metadata/);
      expect(() => decodeEnvelope(unchecked(message))).toThrow(/more than 64 entries|exceed the limit of 65536 bytes/);
    }
    expect(decodeEnvelope(encodeEnvelopeBody(Message.event("a", "e").withHeader("k", "v".repeat(MAX_HEADER_BYTES - 1)).envelope, plain.maxMessageSize)).headers["k"]).toHaveLength(MAX_HEADER_BYTES - 1);
  });
});

describe("batch frames: bounded before they are split (1)", () => {
  const record = encodeEnvelopeBody(Message.event("a", "e").envelope, plain.maxMessageSize);

  it("refuses empty records, more than 1024 records, and records whose overhead passes maxMessageSize", () => {
    expect(() => frameBodies(Uint8Array.from([FrameFlags.BATCH, 0, 0, 0]), plain)).toThrow(/empty record/);
    expect(() => frameBodies(encodeBodiesFrame(Array(MAX_BATCH_RECORDS + 1).fill(record), plain), plain)).toThrow(/more than 1024 records/);
    expect(frameBodies(encodeBodiesFrame(Array(MAX_BATCH_RECORDS).fill(record), plain), plain)).toHaveLength(MAX_BATCH_RECORDS);
    const small = { ...plain, maxMessageSize: 10 * (record.length + 64) };
    expect(frameBodies(encodeBodiesFrame(Array(10).fill(record), plain), small)).toHaveLength(10);
    expect(() => frameBodies(encodeBodiesFrame(Array(11).fill(record), plain), small)).toThrow(expect.objectContaining({ code: "MessageTooLarge" }));
  });

  it("refuses a batch, and a compressed frame, unless negotiated, before inflating anything", () => {
    const batch = encodeBodiesFrame([record, record], plain);
    expect(() => frameBodies(batch, { ...plain, acceptBatch: false })).toThrow(/batch was not negotiated/);
    const zipped = encodeBodiesFrame([new Uint8Array(4096).fill(8)], { ...plain, enableCompression: true, compression: gzip });
    expect(zipped[0]).toBe(FrameFlags.COMPRESSED);
    expect(() => frameBodies(zipped, plain)).toThrow(/compression was not negotiated/);
  });

  it("a gzip bomb of zero-length records inflates to at most maxMessageSize and is refused at its first record", () => {
    const bomb = Uint8Array.from([FrameFlags.BATCH | FrameFlags.COMPRESSED, ...gzip.compress(new Uint8Array(plain.maxMessageSize))]);
    expect(() => frameBodies(bomb, { ...plain, compression: gzip })).toThrow(/empty record/);
  });
});

describe("64-bit ids and hops", () => {
  it("an id above 2^53 decodes (as 0) instead of failing the envelope", () => {
    const body = Uint8Array.from([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, ...unchecked(Message.event("a", "e"))].slice(0));
    const decoded = decodeEnvelope(body);
    expect(decoded.payload?.$case).toBe("event");
    expect(envelopeIdAndSource(body)).toMatchObject({ source: "a", control: false });
  });

  it("withTtl changes only the ttl: every other byte, a 64-bit id too, is kept", () => {
    const message = Message.event("a", "e", { x: 1 }).to("b").withTtl(300).withHeader("h", "v");
    const body = encodeEnvelopeBody(message.envelope, plain.maxMessageSize);
    const hopped = withTtl(body, 299);
    expect(decodeEnvelope(hopped)).toEqual({ ...decodeEnvelope(body), ttl: 299 });
    const bigId = Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, ...unchecked(Message.event("a", "e").withTtl(2))]);
    expect(Array.from(withTtl(bigId, 1).subarray(0, 10))).toEqual(Array.from(bigId.subarray(0, 10)));
    expect(decodeEnvelope(withTtl(bigId, 1)).ttl).toBe(1);
  });
});
