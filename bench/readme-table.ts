/** `npm run bench:readme`: rewrites the README's benchmark table from bench/results.json. */
import { readFile, writeFile } from "node:fs/promises";
import { formatTable } from "./run.js";
import type { BenchRecord } from "./types.js";

const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";

const records = JSON.parse(await readFile("bench/results.json", "utf8")) as BenchRecord[];
const readme = await readFile("README.md", "utf8");
const start = readme.indexOf(START);
const end = readme.indexOf(END);
if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} section`);
const table = `${START}\n${formatTable(records)}\n\nMeasured on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, 2 cores; regenerate with \`npm run bench && npm run bench:readme\`.\n${END}`;
await writeFile("README.md", readme.slice(0, start) + table + readme.slice(end + END.length));
console.log(`README.md: benchmark table updated (${records.length} rows)`);
