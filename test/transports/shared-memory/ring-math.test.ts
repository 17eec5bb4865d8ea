import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  advance,
  align,
  checkHeader,
  headerWord,
  isValidCapacity,
  maxRecordPayload,
  offsetOf,
  planWrite,
  RECORD_HEADER_BYTES,
  recordBytes,
  RecordKind,
  usedBytes,
} from "../../../src/transports/shared-memory/ring-math.js";

describe("ring index arithmetic", () => {
  it("aligns records to 8 bytes, header included", () => {
    expect([align(0), align(1), align(8), align(9)]).toEqual([0, 8, 8, 16]);
    expect([recordBytes(0), recordBytes(1), recordBytes(8), recordBytes(9)]).toEqual([8, 16, 16, 24]);
  });

  it("positions run over two laps so full and empty differ", () => {
    const cap = 64;
    expect(usedBytes(0, 0, cap)).toBe(0);
    expect(usedBytes(0, 64, cap)).toBe(64); // full
    expect(usedBytes(64, 0, cap)).toBe(64); // full, tail wrapped the lap
    expect(usedBytes(120, 8, cap)).toBe(16);
    expect(offsetOf(72, cap)).toBe(8);
    expect(advance(120, 16, cap)).toBe(8);
  });

  it("flags impossible positions as -1", () => {
    const cap = 64;
    expect(usedBytes(0, 72, cap)).toBe(-1); // more than capacity in flight
    expect(usedBytes(-8, 0, cap)).toBe(-1);
    expect(usedBytes(0, 128, cap)).toBe(-1); // outside [0, 2 cap)
    expect(usedBytes(0, 3, cap)).toBe(-1); // misaligned
  });

  it("plans a pad to the end when a record does not fit before it", () => {
    const cap = 64;
    expect(planWrite(0, 0, cap, 16)).toEqual({ padBytes: 0, offset: 0, advanceBytes: 16 });
    expect(planWrite(48, 56, cap, 16)).toEqual({ padBytes: 8, offset: 0, advanceBytes: 24 });
    expect(planWrite(8, 56, cap, 16)).toBeUndefined(); // 48 used + 8 pad + 16 > 64
    expect(() => planWrite(0, 0, cap, 48)).toThrow(RangeError); // over capacity / 2
  });

  it("caps a record at half the capacity", () => {
    expect(maxRecordPayload(64)).toBe(24);
    expect(maxRecordPayload(10 * 1024 * 1024)).toBe(5 * 1024 * 1024 - 8);
    expect(isValidCapacity(64)).toBe(true);
    expect(isValidCapacity(60)).toBe(false);
    expect(isValidCapacity(2 ** 31)).toBe(false);
  });

  it("checks record headers against the ring bounds", () => {
    const cap = 64;
    expect(checkHeader(8, headerWord(RecordKind.FULL), 0, 16, cap)).toBe(RecordKind.FULL);
    expect(checkHeader(8, headerWord(RecordKind.FULL), 0, 8, cap)).toMatch(/runs past/);
    expect(checkHeader(8, 0x12345602, 0, 16, cap)).toMatch(/magic/);
    expect(checkHeader(8, headerWord(RecordKind.FULL, 8), 0, 24, cap)).toMatch(/lead/);
    expect(checkHeader(8, headerWord(RecordKind.FULL, 7), 0, 24, cap)).toBe(RecordKind.FULL);
    expect(checkHeader(8, headerWord(RecordKind.FULL, 7), 0, 16, cap)).toMatch(/runs past/);
    expect(checkHeader(8, headerWord(RecordKind.FULL) + 9, 0, 16, cap)).toMatch(/kind/);
    expect(checkHeader(-1, headerWord(RecordKind.FULL), 0, 16, cap)).toMatch(/negative/);
    expect(checkHeader(2 ** 30, headerWord(RecordKind.FULL), 0, 64, cap)).toMatch(/out of bounds/);
    expect(checkHeader(8, headerWord(RecordKind.PAD), 48, 16, cap)).toBe(RecordKind.PAD);
    expect(checkHeader(0, headerWord(RecordKind.PAD), 48, 16, cap)).toMatch(/does not reach/);
  });

  const capacity = fc.integer({ min: 8, max: 4096 }).map((n) => n * 8);

  it("property: a plan never overruns the reader or the buffer", () => {
    fc.assert(
      fc.property(capacity, fc.nat(), fc.nat(), fc.nat(), (cap, h, u, r) => {
        const head = (h % (2 * cap / 8)) * 8;
        const used = (u % (cap / 8 + 1)) * 8;
        const tail = advance(head, used, cap);
        const bytes = recordBytes(r % (maxRecordPayload(cap) + 1));
        expect(usedBytes(head, tail, cap)).toBe(used);
        const plan = planWrite(head, tail, cap, bytes);
        if (plan === undefined) {
          // refused only when padding + record really does not fit
          const contiguous = cap - offsetOf(tail, cap);
          expect(used + (bytes <= contiguous ? bytes : contiguous + bytes)).toBeGreaterThan(cap);
          return;
        }
        expect(plan.offset + bytes).toBeLessThanOrEqual(cap);
        expect(used + plan.advanceBytes).toBeLessThanOrEqual(cap);
        expect(usedBytes(head, advance(tail, plan.advanceBytes, cap), cap)).toBe(used + plan.advanceBytes);
      }),
    );
  });

  it("property: an empty ring always takes a record of the maximum size", () => {
    fc.assert(
      fc.property(capacity, fc.nat(), (cap, p) => {
        const pos = (p % (2 * cap / 8)) * 8;
        const bytes = recordBytes(maxRecordPayload(cap));
        const contiguous = cap - offsetOf(pos, cap);
        // in place when it fits before the end; else after padding to the end, at offset 0
        expect(planWrite(pos, pos, cap, bytes)).toEqual(
          bytes <= contiguous ? { padBytes: 0, offset: offsetOf(pos, cap), advanceBytes: bytes } : { padBytes: contiguous, offset: 0, advanceBytes: contiguous + bytes },
        );
      }),
    );
  });

  it("property: any header word and length either validates in bounds or is refused", () => {
    fc.assert(
      fc.property(capacity, fc.integer(), fc.integer(), fc.nat(), fc.nat(), (cap, length, word, o, u) => {
        const offset = (o % (cap / 8)) * 8;
        const used = (u % (cap / 8 + 1)) * 8;
        const kind = checkHeader(length, word, offset, used, cap);
        if (typeof kind === "string") return;
        const lead = kind === RecordKind.PAD ? 0 : (word >>> 8) & 0xff;
        expect(lead).toBeLessThan(8);
        expect(offset + RECORD_HEADER_BYTES + lead + length).toBeLessThanOrEqual(cap);
        expect(RECORD_HEADER_BYTES + lead + length).toBeLessThanOrEqual(used);
      }),
    );
  });
});
