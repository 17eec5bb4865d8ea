/** `npm run bench:readme`: rewrites the README's benchmark table from bench/results.json. */
import { readFile, writeFile } from "node:fs/promises";
import { formatTable } from "./run.js";
import { machineOf, type BenchRecord } from "./types.js";

const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";

const records = JSON.parse(await readFile("bench/results.json", "utf8")) as BenchRecord[];
const readme = await readFile("README.md", "utf8");
const start = readme.indexOf(START);
const end = readme.indexOf(END);
if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} section`);
const table = `${START}\n${formatTable(records)}\n\n${provenance(records)} Regenerate with \`npm run bench && npm run bench:readme\`.\n${END}`;
/** Which machine(s) the rows came from, and how: figures differ a lot between CPUs (see TOOLCHAIN notes). */
function provenance(rows: BenchRecord[]): string {
  const byMachine = new Map<string, BenchRecord[]>();
  for (const r of rows) byMachine.set(machineOf(r), [...(byMachine.get(machineOf(r)) ?? []), r]);
  const nodes = [...new Set(rows.flatMap((r) => (r.node === undefined ? [] : [r.node])))];
  const quick = rows.filter((r) => r.quick === true).length;
  const how = `${quick === 0 ? "full runs" : `${quick} of ${rows.length} rows from --quick runs`}${nodes.length > 0 ? `, Node ${nodes.join(", ")}` : ""}`;
  if (byMachine.size === 1) return `Measured on ${[...byMachine.keys()][0]} (${how}), table written ${new Date().toISOString().slice(0, 10)}.`;
  const parts = [...byMachine].map(([machine, rs]) => `${machine}: ${rs.map((r) => r.name).join(", ")}`);
  return `Rows come from more than one machine (${how}), table written ${new Date().toISOString().slice(0, 10)}. ${parts.join(". ")}.`;
}

await writeFile("README.md", readme.slice(0, start) + table + readme.slice(end + END.length));
console.log(`README.md: benchmark table updated (${records.length} rows)`);
