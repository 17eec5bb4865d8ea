/**
 * `npm run bench [-- <filter>] [-- --quick]`: runs every benchmark in bench/*.bench.ts (or
 * those whose name contains the filter), prints a table and merges the records into
 * bench/results.json (records of benchmarks not run are kept).
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";
import type { Benchmark, BenchRecord } from "./types.js";

// Run compiled (`npm run bench` builds into .bench-build/), so benchmark modules are found
// beside this file as .js; results always go to the repository's bench/results.json.
const here = dirname(fileURLToPath(import.meta.url));
const resultsPath = process.env["BENCH_RESULTS"] ?? join(process.cwd(), "bench", "results.json");

function parseArgs(argv: string[]): { quick: boolean; filters: string[] } {
  const quick = argv.includes("--quick");
  const unknown = argv.filter((a) => a.startsWith("--") && a !== "--quick");
  if (unknown.length > 0) {
    console.error(`unknown option ${unknown[0]}; usage: npm run bench -- [--quick] [name-filter ...]`);
    process.exit(2);
  }
  return { quick, filters: argv.filter((a) => !a.startsWith("--")) };
}

async function loadBenchmarks(): Promise<Benchmark[]> {
  const files = (await readdir(here)).filter((f) => /\.bench\.(js|ts)$/.test(f)).sort();
  const all: Benchmark[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(join(here, file)).href)) as { benchmarks: Benchmark[] };
    all.push(...module.benchmarks);
  }
  return all;
}

async function readResults(): Promise<BenchRecord[]> {
  try {
    return JSON.parse(await readFile(resultsPath, "utf8")) as BenchRecord[];
  } catch {
    return [];
  }
}

function formatOps(value: number | null): string {
  if (value === null) return "—";
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}

/** The benchmark table as Markdown (also used for the README). */
export function formatTable(records: BenchRecord[]): string {
  const header = "| benchmark | ops/s | p50 µs | p99 µs | peer | peer ops/s | ratio |\n| --- | ---: | ---: | ---: | --- | ---: | ---: |";
  const rows = records.map(
    (r) =>
      `| ${r.name} | ${formatOps(r.opsPerSec)} | ${r.p50Us.toFixed(2)} | ${r.p99Us.toFixed(2)} | ${r.peer ?? "—"} | ${formatOps(r.peerOpsPerSec)} | ${r.ratio === null ? "—" : r.ratio.toFixed(2)} |`,
  );
  return [header, ...rows].join("\n");
}

async function main(): Promise<void> {
  const { quick, filters } = parseArgs(process.argv.slice(2));
  const selected = (await loadBenchmarks()).filter((b) => filters.length === 0 || filters.some((f) => b.name.includes(f)));
  if (selected.length === 0) {
    console.error(`no benchmark matches ${filters.join(", ")}`);
    process.exit(2);
  }
  const fresh: BenchRecord[] = [];
  for (const [index, benchmark] of selected.entries()) {
    const progress = (message: string) => process.stderr.write(`\r[${index + 1}/${selected.length}] ${benchmark.name} ${message}\x1b[K`);
    progress("running…");
    const result = await benchmark.run({ quick, progress });
    fresh.push(result);
    progress(`${formatOps(result.opsPerSec)} ops/s\n`);
  }
  const byName = new Map((await readResults()).map((r) => [r.name, r]));
  for (const r of fresh) byName.set(r.name, r);
  const merged = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  await writeFile(resultsPath, `${JSON.stringify(merged, null, 2)}\n`);
  console.log(formatTable(fresh));
  console.log(`\nwrote ${fresh.length} record(s) to ${resultsPath}${quick ? " (--quick)" : ""}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
