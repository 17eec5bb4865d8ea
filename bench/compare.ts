/**
 * `npm run bench:compare -- <revA> <revB> [filter ...] [--rounds N] [--quick[=a|b]] [--harness <rev>] [--out file.json]`
 *
 * Measures a performance change: builds revisions A and B in temporary git worktrees (the
 * working tree is never touched; `WORKTREE` names its uncommitted tracked changes), then runs
 * each benchmark whose name contains a filter (all, without one) on both, interleaved — round
 * by round, record by record, A and B back to back, in alternating order — each run in a fresh
 * process, and prints per record the change of the ratio to the peer (ops/s for records
 * without a peer) with its spread over the rounds. Both revisions run on this machine under
 * the same load, so their ratio is meaningful where absolute figures are not.
 *
 * `--harness <rev>` measures both with that revision's bench/harness.ts (by default each uses
 * its own; the report says when they differ, as a harness change alone moves figures).
 * `--quick=a` (or `=b`) runs only that side with `--quick`: with the same revision on both
 * sides, `npm run bench:compare -- HEAD HEAD --quick=a` calibrates --quick against full runs.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { promisify } from "node:util";
import { compareRuns, formatComparison, formatQuickAgreement, QUICK_TOLERANCE, quickAgreement, type ComparedRun, type RecordRuns } from "./compare-report.js";
import { buildRevision, pruneWorktrees, resolveRevision, type RevisionBuild } from "./revision-build.js";

const run = promisify(execFile);
/** Smallest median change reported as better/worse (when every round agrees). */
const THRESHOLD = 0.03;

interface CompareArgs {
  revA: string;
  revB: string;
  filters: string[];
  rounds: number;
  quickA: boolean;
  quickB: boolean;
  harness: string | undefined;
  out: string | undefined;
}

const USAGE = "usage: npm run bench:compare -- <revA> <revB> [filter ...] [--rounds N] [--quick[=a|b]] [--harness <rev>] [--out file.json]";

function parseArgs(argv: string[]): CompareArgs {
  const positional: string[] = [];
  let rounds = 3;
  let quickA = false;
  let quickB = false;
  let harness: string | undefined;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith("--") ? (arg.split("=", 2) as [string, string | undefined]) : [arg, undefined];
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    if (flag === "--rounds") rounds = Number(value());
    else if (flag === "--quick") {
      if (inline !== undefined && inline !== "a" && inline !== "b") usage("--quick takes no value, a or b");
      quickA = inline !== "b";
      quickB = inline !== "a";
    }
    else if (flag === "--harness") harness = value();
    else if (flag === "--out") out = value();
    else if (flag.startsWith("--")) usage(`unknown option ${flag}`);
    else positional.push(arg);
  }
  if (positional.length < 2) usage("two revisions are needed");
  if (!Number.isInteger(rounds) || rounds < 1) usage("--rounds must be a positive integer");
  return { revA: positional[0]!, revB: positional[1]!, filters: positional.slice(2), rounds, quickA, quickB, harness, out };
}

function usage(problem: string): never {
  console.error(`${problem}\n${USAGE}`);
  process.exit(2);
}

function machine(): string {
  const list = cpus();
  const load = loadavg().map((l) => l.toFixed(2)).join(" ");
  return `${list[0]?.model.trim() ?? "unknown CPU"}, ${list.length} cores, Node ${process.version}, load average ${load}`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const repo = (await run("git", ["rev-parse", "--show-toplevel"])).stdout.trim();
  await pruneWorktrees(repo);
  const [commitA, commitB] = await Promise.all([resolveRevision(repo, args.revA), resolveRevision(repo, args.revB)]);
  const harness = args.harness === undefined ? undefined : (await run("git", ["-C", repo, "show", `${await resolveRevision(repo, args.harness)}:bench/harness.ts`], { maxBuffer: 16 << 20 })).stdout;
  const builds: RevisionBuild[] = [];
  const cleanUp = () => Promise.all(builds.map((b) => b.remove()));
  process.once("SIGINT", () => void cleanUp().then(() => process.exit(130)));
  try {
    process.stderr.write(`building ${args.revA} (${commitA.slice(0, 10)})…\n`);
    builds.push(await buildRevision(repo, args.revA, commitA, harness));
    if (commitB !== commitA) {
      process.stderr.write(`building ${args.revB} (${commitB.slice(0, 10)})…\n`);
      builds.push(await buildRevision(repo, args.revB, commitB, harness));
    }
    const a = builds[0]!;
    const b = { ...(builds[1] ?? a), label: args.revB };
    const matches = (name: string) => args.filters.length === 0 || args.filters.some((f) => name.includes(f));
    const names = a.benchmarks.filter((n) => b.benchmarks.includes(n) && matches(n));
    const onlyOne = [...a.benchmarks.filter((n) => !b.benchmarks.includes(n)), ...b.benchmarks.filter((n) => !a.benchmarks.includes(n))].filter(matches);
    if (names.length === 0) usage(`no benchmark of both revisions matches ${args.filters.join(", ") || "(all)"}`);
    const sameHarness = harness !== undefined || (await sameFile(repo, commitA, commitB, "bench/harness.ts"));

    const startedOn = machine();
    const runs: RecordRuns[] = names.map((name) => ({ name, a: [], b: [] }));
    const total = args.rounds * names.length * 2;
    let done = 0;
    for (let round = 0; round < args.rounds; round++) {
      for (const record of runs) {
        // Alternate which goes first, so a slow start or a warming machine favours neither.
        const order = round % 2 === 0 ? (["a", "b"] as const) : (["b", "a"] as const);
        for (const side of order) {
          const build = side === "a" ? a : b;
          process.stderr.write(`\r[${++done}/${total}] round ${round + 1}: ${record.name} on ${build.label}\x1b[K`);
          record[side][round] = await build.runOne(record.name, side === "a" ? args.quickA : args.quickB).then(
            (r) => r as unknown as ComparedRun,
            (error: unknown) => {
              process.stderr.write(`\n${record.name} failed on ${build.label}: ${String(error).split("\n")[0]}\n`);
              return undefined;
            },
          );
        }
      }
    }
    process.stderr.write("\n");

    const rows = compareRuns(runs, THRESHOLD);
    const labelA = `A`;
    const labelB = `B`;
    console.log(`A = ${args.revA} (${commitA.slice(0, 10)}), B = ${args.revB} (${commitB.slice(0, 10)})`);
    const mode = (quick: boolean) => (quick ? "--quick" : "full");
    console.log(`${args.rounds} interleaved round(s), A ${mode(args.quickA)}, B ${mode(args.quickB)}; machine: ${startedOn} (at start), ${machine().replace(/^.*load average/, "load average")} (at end)`);
    if (!sameHarness) console.log("note: bench/harness.ts differs between A and B; pass --harness <rev> to measure both with the same one");
    console.log(`change = B ÷ A − 1 of the ratio to the peer (of ops/s without a peer), median of per-round pairs; verdict needs every round to agree and |change| > ${THRESHOLD * 100}%\n`);
    console.log(formatComparison(rows, labelA, labelB));
    if (onlyOne.length > 0) console.log(`\nin one revision only (not compared): ${onlyOne.join(", ")}`);
    // Same commit on both sides, one of them quick: a calibration of --quick against full runs.
    if (commitA === commitB && args.quickA !== args.quickB) console.log(`\n${formatQuickAgreement(quickAgreement(rows, QUICK_TOLERANCE), QUICK_TOLERANCE)}`);
    if (args.out !== undefined) {
      const sides = { a: { rev: args.revA, commit: commitA, quick: args.quickA }, b: { rev: args.revB, commit: commitB, quick: args.quickB } };
      await writeFile(args.out, `${JSON.stringify({ ...sides, machine: startedOn, rounds: args.rounds, runs, rows }, null, 2)}\n`);
    }
  } finally {
    await cleanUp();
  }
}

async function sameFile(repo: string, commitA: string, commitB: string, path: string): Promise<boolean> {
  const hash = async (commit: string) => (await run("git", ["-C", repo, "rev-parse", `${commit}:${path}`]).catch(() => ({ stdout: commit }))).stdout.trim();
  return (await hash(commitA)) === (await hash(commitB));
}

await main();
