/**
 * `npm run bench [-- <filter>] [-- --quick]`: runs every benchmark in bench/*.bench.ts (or
 * those whose name contains the filter), prints a table and merges the records into
 * bench/results.json (records of benchmarks not run are kept).
 */
import { execFile } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";
import { cpus } from "node:os";
import { warmUpLog } from "./harness.js";
import type { Benchmark, BenchRecord } from "./types.js";
import { formatBundleSizes, measureBundleSizes } from "./bundle-size.js";
import { formatOps, formatTable, machineOf } from "./tables.js";

// Run compiled (`npm run bench` builds into .bench-build/), so benchmark modules are found
// beside this file as .js; results always go to the repository's bench/results.json.
const here = dirname(fileURLToPath(import.meta.url));
const resultsPath = process.env["BENCH_RESULTS"] ?? join(process.cwd(), "bench", "results.json");

const CHILD_FLAG = "--run-one";
/** The browser bundle-size report runs with every full run, or when a filter matches this name. */
const BUNDLE_SIZE = "bundle-size";
const bundleSizePath = process.env["BUNDLE_SIZE_REPORT"] ?? join(process.cwd(), "bench", "bundle-size.json");

function parseArgs(argv: string[]): { quick: boolean; filters: string[] } {
  const quick = argv.includes("--quick");
  const unknown = argv.filter((a) => a.startsWith("--") && a !== "--quick" && a !== CHILD_FLAG);
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

async function main(): Promise<void> {
  const { quick, filters } = parseArgs(process.argv.slice(2));
  const selected = (await loadBenchmarks()).filter((b) => filters.length === 0 || filters.some((f) => b.name.includes(f)));
  const sizeReport = filters.length === 0 || filters.some((f) => BUNDLE_SIZE.includes(f));
  if (sizeReport) await reportBundleSizes();
  if (selected.length === 0 && sizeReport) return;
  if (selected.length === 0) {
    console.error(`no benchmark matches ${filters.join(", ")}`);
    process.exit(2);
  }
  const fresh: BenchRecord[] = [];
  for (const [index, benchmark] of selected.entries()) {
    const progress = (message: string) => process.stderr.write(`\r[${index + 1}/${selected.length}] ${benchmark.name} ${message}\x1b[K`);
    progress("running…");
    const result = await runIsolated(benchmark.name, quick);
    fresh.push(result);
    progress(`${formatOps(result.opsPerSec)} ops/s${result.ratio === null ? "" : `, ${result.ratio.toFixed(2)}× ${result.peer}`}\n`);
  }
  const byName = new Map((await readResults()).map((r) => [r.name, r]));
  for (const r of fresh) byName.set(r.name, r);
  const merged = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  await writeFile(resultsPath, `${JSON.stringify(merged, null, 2)}\n`);
  console.log(formatTable(fresh));
  console.log(`\nmeasured on ${[...new Set(fresh.map(machineOf))].join("; ")}, Node ${process.version}`);
  console.log(`wrote ${fresh.length} record(s) to ${resultsPath}${quick ? " (--quick)" : ""}`);
}

/** Prints the browser bundle sizes (bench/bundle-size.ts) and writes them to bench/bundle-size.json. */
async function reportBundleSizes(): Promise<void> {
  // `here` is .bench-build/bench: the tsc output beside it is the Node build measured.
  const nodeBuild = dirname(here);
  const records = await measureBundleSizes(process.cwd(), nodeBuild);
  await writeFile(bundleSizePath, `${JSON.stringify(records, null, 2)}\n`);
  console.log(`Browser bundle sizes (esbuild, minified; kB = 1000 bytes)\n${formatBundleSizes(records, nodeBuild)}\nwrote ${bundleSizePath}\n`);
}

/**
 * Each benchmark runs in a fresh process: a benchmark measured after others in one process
 * inherited their heap and JIT state (one ran at half speed), so isolation makes figures
 * reproducible and independent of order.
 */
async function runIsolated(name: string, quick: boolean): Promise<BenchRecord> {
  const args = [fileURLToPath(import.meta.url), CHILD_FLAG, name, ...(quick ? ["--quick"] : [])];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60 * 1000 });
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as BenchRecord;
}

/** The median over a few passes of what one Date.now() costs here, ns. */
function clockReadNs(): number {
  const passes: number[] = [];
  let sink = 0;
  for (let pass = 0; pass < 5; pass++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 20_000; i++) sink += Date.now() & 1;
    passes.push(Number(process.hrtime.bigint() - start) / 20_000);
  }
  if (sink < 0) console.log(sink);
  return Math.round(passes.sort((a, b) => a - b)[2]! * 10) / 10;
}

/** Child mode: runs the one benchmark named exactly and prints its record as the last line. */
async function runOne(name: string, quick: boolean): Promise<void> {
  const benchmark = (await loadBenchmarks()).find((b) => b.name === name);
  if (benchmark === undefined) throw new Error(`no benchmark named ${name}`);
  const record = await benchmark.run({ quick, progress: () => undefined });
  const stamped: BenchRecord = {
    ...record,
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    node: process.version,
    clockReadNs: clockReadNs(),
    quick,
    warmUp: {
      count: warmUpLog.length,
      maxMs: Math.round(Math.max(0, ...warmUpLog.map((w) => w.ms))),
      unsettled: warmUpLog.filter((w) => !w.settled).length,
    },
  };
  process.stdout.write(`${JSON.stringify(stamped)}\n`);
  process.exit(0);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const childAt = process.argv.indexOf(CHILD_FLAG);
  if (childAt >= 0) await runOne(process.argv[childAt + 1]!, process.argv.includes("--quick"));
  else await main();
}
