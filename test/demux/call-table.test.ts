import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CallTable } from "../../src/demux/call-table.js";

describe("CallTable", () => {
  it("behaves as a Map under any sequence of sets and deletes, through growth and wrap-around", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), id: fc.integer({ min: 1, max: 200 }) }),
      fc.record({ kind: fc.constant("delete" as const), id: fc.integer({ min: 1, max: 200 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.integer({ min: 1, max: 2 ** 40 }), (ops, base) => {
        const table = new CallTable<string>();
        const model = new Map<number, string>();
        for (const [i, { kind, id }] of ops.entries()) {
          // ids far apart whose low bits collide, and ids past 2^32
          const key = base + (id % 7) * 2 ** 32 + id;
          if (kind === "set") {
            table.set(key, `v${i}`);
            model.set(key, `v${i}`);
          } else {
            expect(table.delete(key)).toBe(model.delete(key));
          }
          expect(table.size).toBe(model.size);
        }
        for (const [key, value] of model) expect(table.get(key)).toBe(value);
        expect(table.values().sort()).toEqual([...model.values()].sort());
        expect(table.get(base + 10_000)).toBeUndefined();
      }),
    );
  });

  it("finds sequential ids with many in flight", () => {
    const table = new CallTable<number>();
    for (let id = 1; id <= 10_000; id++) {
      table.set(id, id);
      if (id > 64) expect(table.delete(id - 64)).toBe(true);
    }
    expect(table.size).toBe(64);
    for (let id = 10_000 - 63; id <= 10_000; id++) expect(table.get(id)).toBe(id);
    expect(table.get(10_000 - 64)).toBeUndefined();
  });
});
