/**
 * `npm run bench:readme`: rewrites the benchmark tables of the documentation from
 * bench/results.json — the full table in docs/benchmarks.md and the comparison summary in the
 * README (see bench/tables.ts).
 */
import { readFile, writeFile } from "node:fs/promises";
import { formatComparison, formatProvenance, formatTable, replaceSection, SECTIONS } from "./tables.js";
import type { BenchRecord } from "./types.js";

const records = JSON.parse(await readFile("bench/results.json", "utf8")) as BenchRecord[];
const provenance = `${formatProvenance(records)} Table written ${new Date().toISOString().slice(0, 10)}: \`npm run bench && npm run bench:readme\`.`;

const bodies = { table: formatTable(records), summary: formatComparison(records) };
for (const key of ["table", "summary"] as const) {
  const { file } = SECTIONS[key];
  const text = await readFile(file, "utf8");
  await writeFile(file, replaceSection(text, SECTIONS[key], `\n${bodies[key]}\n\n${provenance}\n`));
  console.log(`${file}: benchmark ${key === "table" ? "table" : "comparison"} updated`);
}
