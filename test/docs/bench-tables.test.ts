// The benchmark tables in docs/benchmarks.md and the README's comparison are bench/results.json
// as bench/tables.ts renders it: a figure in the documentation is always a measured one.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { formatComparison, formatTable, section, SECTIONS } from "../../bench/tables.js";
import type { BenchRecord } from "../../bench/types.js";

const ROOT = resolve(import.meta.dirname, "../..");
const records = JSON.parse(readFileSync(join(ROOT, "bench/results.json"), "utf8")) as BenchRecord[];
const tableRows = (text: string | undefined) => (text ?? "").split("\n").filter((line) => line.startsWith("|"));

describe("benchmark tables in the documentation", () => {
  it.each([
    ["table", formatTable(records)],
    ["summary", formatComparison(records)],
  ] as const)("the %s matches bench/results.json (npm run bench:readme rewrites it)", (key, expected) => {
    const { file } = SECTIONS[key];
    const text = readFileSync(join(ROOT, file), "utf8");
    expect(section(text, SECTIONS[key]), `${file} has no ${SECTIONS[key].start} … ${SECTIONS[key].end} section`).toBeDefined();
    expect(tableRows(section(text, SECTIONS[key])), `${file} is not what bench/results.json says: run npm run bench:readme`).toEqual(tableRows(expected));
  });
});
