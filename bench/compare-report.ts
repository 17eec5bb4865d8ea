/**
 * The statistics and table of `npm run bench:compare`: per record, the change from revision A to
 * revision B of the ratio to the peer (and of ops/s and p50), taken pairwise per round — the A
 * and B runs of one round ran back to back, so they saw the same machine load — with the spread
 * over rounds, so a change smaller than the noise reads as such.
 */

/** The fields of a benchmark record a comparison reads (older revisions' records have no more). */
export interface ComparedRun {
  ratio: number | null;
  opsPerSec: number;
  p50Us: number;
  peer: string | null;
}

/** Every round's runs of one record on both revisions (index = round; undefined = that run failed). */
export interface RecordRuns {
  name: string;
  a: (ComparedRun | undefined)[];
  b: (ComparedRun | undefined)[];
}

/** One row of the comparison. */
export interface ComparisonRow {
  name: string;
  peer: string | null;
  /** Median over rounds. */
  ratioA: number | null;
  ratioB: number | null;
  /** Median of the per-round changes B ÷ A − 1 of the ratio (of ops/s for records without a peer). */
  change: number | null;
  /** Smallest and largest per-round change. */
  changeMin: number | null;
  changeMax: number | null;
  opsA: number | null;
  opsB: number | null;
  p50A: number | null;
  p50B: number | null;
  /** Rounds with both runs. */
  pairs: number;
  /** "better" / "worse" when every round agrees and the median moved more than `threshold`, else "~". */
  verdict: "better" | "worse" | "~" | "failed";
}

/** Compares the runs of each record; `threshold` (e.g. 0.03) is the smallest change called a change. */
export function compareRuns(records: RecordRuns[], threshold: number): ComparisonRow[] {
  return records.map(({ name, a, b }) => {
    const changes: number[] = [];
    for (let round = 0; round < Math.min(a.length, b.length); round++) {
      const x = a[round];
      const y = b[round];
      if (x === undefined || y === undefined) continue;
      const before = x.ratio ?? x.opsPerSec;
      const after = y.ratio ?? y.opsPerSec;
      if (before > 0) changes.push(after / before - 1);
    }
    const okA = a.filter((r): r is ComparedRun => r !== undefined);
    const okB = b.filter((r): r is ComparedRun => r !== undefined);
    const change = median(changes);
    const changeMin = changes.length === 0 ? null : Math.min(...changes);
    const changeMax = changes.length === 0 ? null : Math.max(...changes);
    let verdict: ComparisonRow["verdict"] = "~";
    if (change === null) verdict = "failed";
    else if (change > threshold && changeMin! > 0) verdict = "better";
    else if (change < -threshold && changeMax! < 0) verdict = "worse";
    return {
      name,
      peer: okB[0]?.peer ?? okA[0]?.peer ?? null,
      ratioA: median(okA.flatMap((r) => (r.ratio === null ? [] : [r.ratio]))),
      ratioB: median(okB.flatMap((r) => (r.ratio === null ? [] : [r.ratio]))),
      change,
      changeMin,
      changeMax,
      opsA: median(okA.map((r) => r.opsPerSec)),
      opsB: median(okB.map((r) => r.opsPerSec)),
      p50A: median(okA.map((r) => r.p50Us)),
      p50B: median(okB.map((r) => r.p50Us)),
      pairs: changes.length,
      verdict,
    };
  });
}

/** How far `--quick` may move a record's ratio from a full run's (docs/benchmarks.md). */
export const QUICK_TOLERANCE = 0.15;

/** A calibration (`bench:compare -- HEAD HEAD --quick=a`): which records' quick ratios agree with full runs. */
export interface QuickAgreement {
  /** Records whose median per-round change is within `tolerance`. */
  within: string[];
  /** The others, with their median change (B ÷ A − 1, sign as run: A quick vs B full or the reverse). */
  outside: { name: string; change: number }[];
  /** Records with no pair of runs. */
  failed: string[];
}

/** Sorts a calibration's rows by whether quick and full agree within `tolerance` (e.g. 0.15). */
export function quickAgreement(rows: ComparisonRow[], tolerance: number): QuickAgreement {
  const result: QuickAgreement = { within: [], outside: [], failed: [] };
  for (const row of rows) {
    if (row.change === null) result.failed.push(row.name);
    else if (Math.abs(row.change) <= tolerance) result.within.push(row.name);
    else result.outside.push({ name: row.name, change: row.change });
  }
  return result;
}

/** The calibration's verdict in a few lines. */
export function formatQuickAgreement(agreement: QuickAgreement, tolerance: number): string {
  const total = agreement.within.length + agreement.outside.length + agreement.failed.length;
  const lines = [`--quick vs full: ${agreement.within.length} of ${total} record(s) within ±${tolerance * 100}% of the full run's ratio`];
  for (const { name, change } of agreement.outside) lines.push(`  outside: ${name} ${percent(change)}`);
  if (agreement.failed.length > 0) lines.push(`  failed (no pair of runs): ${agreement.failed.join(", ")}`);
  return lines.join("\n");
}

/** The comparison as a Markdown table. */
export function formatComparison(rows: ComparisonRow[], labelA: string, labelB: string): string {
  const header = [
    `| record | peer | ratio ${labelA} | ratio ${labelB} | change (min … max) | ops/s ${labelA} → ${labelB} | p50 µs ${labelA} → ${labelB} | verdict |`,
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  const lines = rows.map(
    (r) =>
      `| ${r.name} | ${r.peer ?? "—"} | ${fixed(r.ratioA)} | ${fixed(r.ratioB)} | ${percent(r.change)} (${percent(r.changeMin)} … ${percent(r.changeMax)}) | ${ops(r.opsA)} → ${ops(r.opsB)} | ${fixed(r.p50A)} → ${fixed(r.p50B)} | ${r.verdict} |`,
  );
  return [...header, ...lines].join("\n");
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function fixed(value: number | null): string {
  return value === null ? "—" : value.toFixed(2);
}

function percent(value: number | null): string {
  return value === null ? "—" : `${value >= 0 ? "+" : ""}${(value * 100).toFixed(1)}%`;
}

function ops(value: number | null): string {
  if (value === null) return "—";
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}
