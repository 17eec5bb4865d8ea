/**
 * The benchmark tables of the documentation, rendered from bench/results.json: the full table in
 * docs/benchmarks.md and the comparison summary in the README (`npm run bench:readme` writes
 * both; test/docs/bench-tables.test.ts checks they match the results).
 */
import type { BenchRecord } from "./types.js";

/** 1.23M, 45.6k, 789, or — for no value. */
export function formatOps(value: number | null): string {
  if (value === null) return "—";
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}

/** Every record as a Markdown table (also printed by `npm run bench`). */
export function formatTable(records: readonly BenchRecord[]): string {
  const header = "| benchmark | ops/s | p50 µs | p99 µs | peer | peer ops/s | ratio |\n| --- | ---: | ---: | ---: | --- | ---: | ---: |";
  const rows = records.map(
    (r) =>
      `| ${r.name} | ${formatOps(r.opsPerSec)} | ${r.p50Us.toFixed(2)} | ${r.p99Us.toFixed(2)} | ${r.peer ?? "—"} | ${formatOps(r.peerOpsPerSec)} | ${r.ratio === null ? "—" : r.ratio.toFixed(2)} |`,
  );
  return [header, ...rows].join("\n");
}

/** The machine a record ran on, as the runner stamps it ("machine not recorded" for older records). */
export function machineOf(record: Pick<BenchRecord, "cpu" | "cores">): string {
  return record.cpu === undefined ? "machine not recorded" : `${record.cpu}, ${record.cores} cores`;
}

/**
 * Which machine the records came from, and how — figures differ several-fold between CPUs of
 * one machine kind (see docs/benchmarks.md), so a table without it cannot be read. Names the
 * records of each machine when there are several.
 */
export function formatProvenance(records: readonly BenchRecord[]): string {
  const byMachine = new Map<string, string[]>();
  for (const r of records) byMachine.set(machineOf(r), [...(byMachine.get(machineOf(r)) ?? []), r.name]);
  const nodes = [...new Set(records.flatMap((r) => (r.node === undefined ? [] : [r.node])))];
  const quick = records.filter((r) => r.quick === true).length;
  const unknown = records.filter((r) => r.quick === undefined).length;
  const runs = unknown === records.length ? "run mode not recorded" : quick === 0 && unknown === 0 ? "full runs" : `${quick} of ${records.length} records from --quick runs`;
  const how = `${runs}${nodes.length > 0 ? `, Node ${nodes.join(", ")}` : ""}`;
  if (records.every((r) => r.cpu === undefined)) return "Machine and run mode not recorded: these records predate records that carry them.";
  if (byMachine.size === 1) return `Measured on ${[...byMachine.keys()][0]} (${how}).`;
  return `Measured on ${byMachine.size} machines (${how}): ${[...byMachine].map(([machine, names]) => `${machine}: ${names.join(", ")}`).join("; ")}.`;
}

/** One row of the README's comparison: which record, against whom, and what both sides do. */
interface Comparison {
  readonly record: string;
  /** The project compared with, as a reader knows it. */
  readonly against: string;
  /** What both sides do, in one sentence. */
  readonly what: string;
  /** What an op is: "calls", "events". */
  readonly unit: string;
}

/** The README's comparisons with the libraries a reader would otherwise pick. */
export const COMPARISONS: readonly Comparison[] = [
  {
    record: "websocket/unary-c64/64B/rpc",
    against: "grpc-js",
    what: "typed unary calls (64-byte `Echo`), 64 in flight: agent → hub → agent over WebSocket vs grpc-js client → server over HTTP/2, all on 127.0.0.1",
    unit: "calls",
  },
  { record: "websocket/unary-seq/64B/rpc", against: "grpc-js", what: "the same, one call at a time", unit: "calls" },
  {
    record: "http/unary-c64/64B",
    against: "Connect",
    what: "Connect-protocol JSON calls from autocannon over 64 connections: the hub's HTTP gateway → an agent vs a `@connectrpc/connect-node` server",
    unit: "calls",
  },
  {
    record: "http/unary-c64/64B/grpc",
    against: "grpc-js",
    what: "a grpc-js client, 64 unary calls in flight over h2c: through the hub's HTTP edge to an agent (one hop more) vs a grpc-js server implementing the method",
    unit: "calls",
  },
  {
    record: "shared-memory/unary-seq/32B/typed-rpc-vs-comlink",
    against: "comlink",
    what: "typed unary calls main thread → worker thread, one at a time: shared memory vs comlink over `postMessage`",
    unit: "calls",
  },
  { record: "shared-memory/unary-c64/32B/vs-comlink", against: "comlink", what: "64 requests in flight, each answered by the worker (a 32-byte payload in plain messages, no stubs)", unit: "calls" },
  {
    record: "websocket/fan-out-10/64B",
    against: "raw `ws`",
    what: "pub/sub: 16-event bursts to 10 subscribers through the hub vs a bare `ws` server broadcasting the same bytes",
    unit: "events",
  },
  {
    record: "in-process/unary-seq/64B/rpc",
    against: "—",
    what: "typed unary calls within one process, one at a time (grpc-js and Connect have no in-process transport)",
    unit: "calls",
  },
];

/** The README's comparison table. Throws when a record it names is missing from `records`. */
export function formatComparison(records: readonly BenchRecord[]): string {
  const byName = new Map(records.map((r) => [r.name, r]));
  const rows = COMPARISONS.map((c) => {
    const r = byName.get(c.record);
    if (r === undefined) throw new Error(`bench/results.json has no record "${c.record}" (named in bench/tables.ts COMPARISONS)`);
    const peer = c.against === "—" ? "—" : formatOps(r.peerOpsPerSec);
    const ratio = c.against === "—" || r.ratio === null ? "—" : r.ratio.toFixed(2);
    return `| ${c.against} | ${c.what} | ${formatOps(r.opsPerSec)} ${c.unit}/s | ${peer} | ${ratio} |`;
  });
  return ["| compared with | what both sides do | swarm-transport | peer | ratio |", "| --- | --- | ---: | ---: | ---: |", ...rows].join("\n");
}

/** Markers around the generated parts. */
export const SECTIONS = {
  table: { file: "docs/benchmarks.md", start: "<!-- bench:start -->", end: "<!-- bench:end -->" },
  summary: { file: "README.md", start: "<!-- bench-summary:start -->", end: "<!-- bench-summary:end -->" },
} as const;

/** The text between `start` and `end` in `text` (undefined when the markers are missing). */
export function section(text: string, markers: { start: string; end: string }): string | undefined {
  const start = text.indexOf(markers.start);
  const end = text.indexOf(markers.end);
  if (start < 0 || end < start) return undefined;
  return text.slice(start + markers.start.length, end);
}

/** `text` with the part between the markers replaced by `body`. */
export function replaceSection(text: string, markers: { start: string; end: string }, body: string): string {
  const start = text.indexOf(markers.start);
  const end = text.indexOf(markers.end);
  if (start < 0 || end < start) throw new Error(`no ${markers.start} … ${markers.end} section`);
  return text.slice(0, start + markers.start.length) + body + text.slice(end);
}
