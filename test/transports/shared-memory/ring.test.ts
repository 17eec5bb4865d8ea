import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TransportError } from "../../../src/transport/errors.js";
import { ringFootprint, SpscRing } from "../../../src/transports/shared-memory/ring.js";
import { RecordKind } from "../../../src/transports/shared-memory/ring-math.js";

function makeRing(capacity: number): { ring: SpscRing; buffer: SharedArrayBuffer } {
  const buffer = new SharedArrayBuffer(ringFootprint(capacity));
  return { ring: new SpscRing(buffer, 0, capacity, "test ring"), buffer };
}

function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

function readOne(ring: SpscRing): Uint8Array | undefined {
  const record = ring.peek();
  if (record === undefined) return undefined;
  const copy = record.payload.slice();
  ring.release(1);
  return copy;
}

describe("SpscRing", () => {
  it("writes and reads records in order, across the wrap", () => {
    const { ring } = makeRing(128);
    for (let round = 0; round < 50; round++) {
      const a = bytes(20 + (round % 7), round);
      const b = bytes(3 + (round % 5), round + 1);
      expect(ring.tryWrite(RecordKind.FULL, a, 0, a.length)).toBe(true);
      expect(ring.tryWrite(RecordKind.FULL, b, 0, b.length)).toBe(true);
      expect(readOne(ring)).toEqual(a);
      expect(readOne(ring)).toEqual(b);
      expect(readOne(ring)).toBeUndefined();
    }
    expect(ring.readCount()).toBe(100);
  });

  it("refuses a record when full, and takes it once the reader frees space", () => {
    const { ring } = makeRing(64);
    const chunk = bytes(24, 1); // 32-byte records: two fill the ring
    expect(ring.tryWrite(RecordKind.FULL, chunk, 0, 24)).toBe(true);
    expect(ring.tryWrite(RecordKind.FULL, chunk, 0, 24)).toBe(true);
    expect(ring.tryWrite(RecordKind.FULL, chunk, 0, 24)).toBe(false);
    expect(readOne(ring)).toEqual(chunk);
    expect(ring.tryWrite(RecordKind.FULL, chunk, 0, 24)).toBe(true);
  });

  it("writes a u32 prefix before the payload", () => {
    const { ring } = makeRing(64);
    ring.tryWrite(RecordKind.FIRST, bytes(4, 0), 0, 4, 0x01020304);
    const record = ring.peek()!;
    expect(record.kind).toBe(RecordKind.FIRST);
    expect([...record.payload]).toEqual([4, 3, 2, 1, ...bytes(4, 0)]);
  });

  it("reports a corrupted record header as SerializationError, reading nothing out of bounds", () => {
    const { ring, buffer } = makeRing(64);
    ring.tryWrite(RecordKind.FULL, bytes(8, 0), 0, 8);
    new Int32Array(buffer, 256, 16)[0] = 1_000_000; // hostile length
    expect(() => ring.peek()).toThrow(expect.objectContaining({ code: "SerializationError" }));
    new Int32Array(buffer, 256, 16)[0] = 8;
    new Int32Array(buffer, 256, 16)[1] = 0x7777;
    expect(() => ring.peek()).toThrow(/magic/);
  });

  it("reports impossible head/tail positions as SerializationError on both sides", () => {
    const { ring, buffer } = makeRing(64);
    new Int32Array(buffer)[16] = 999; // tail
    expect(() => ring.peek()).toThrow(TransportError);
    expect(() => ring.tryWrite(RecordKind.FULL, bytes(1, 0), 0, 1)).toThrow(/impossible positions/);
  });

  it("property: any interleaving of writes and reads delivers every record intact and in order", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 64 }).map((n) => n * 8),
        fc.array(fc.oneof(fc.nat(300).map((len) => ({ write: len })), fc.constant({ read: true })), { maxLength: 200 }),
        (capacity, ops) => {
          const { ring } = makeRing(capacity);
          const expected: Uint8Array[] = [];
          let seed = 0;
          for (const op of ops) {
            if ("write" in op) {
              const payload = bytes(op.write % (ring.maxPayload + 1), seed++);
              if (ring.tryWrite(RecordKind.FULL, payload, 0, payload.length)) expected.push(payload);
            } else {
              const got = readOne(ring);
              if (expected.length === 0) expect(got).toBeUndefined();
              else expect(got).toEqual(expected.shift());
            }
          }
          for (let got = readOne(ring); got !== undefined; got = readOne(ring)) expect(got).toEqual(expected.shift());
          expect(expected).toEqual([]);
        },
      ),
    );
  });

  it("property: random bytes in the control block and data never crash or escape the buffer", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 256 + 64, maxLength: 256 + 64 }), (garbage) => {
        const { ring, buffer } = makeRing(64);
        new Uint8Array(buffer).set(garbage);
        try {
          for (let i = 0; i < 20; i++) {
            const record = ring.peek();
            if (record === undefined) break;
            expect(record.payload.byteOffset + record.payload.length).toBeLessThanOrEqual(256 + 64);
            ring.release(1);
          }
        } catch (error) {
          expect(TransportError.is(error, "SerializationError")).toBe(true);
        }
      }),
    );
  });
});
