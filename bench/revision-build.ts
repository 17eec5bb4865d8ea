/**
 * A git revision checked out in a temporary worktree and built for benchmarking, never touching
 * the caller's working tree: `git worktree add --detach` into a temporary directory, the
 * repository's node_modules linked in (installed afresh when the revision's lockfile differs),
 * `tsc -p tsconfig.bench.json`, and `git worktree remove` when done.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** What the working tree has that HEAD has not, as a revision name for `resolveRevision`. */
export const WORKTREE = "WORKTREE";

/** One built revision. */
export interface RevisionBuild {
  /** The revision as given, e.g. "HEAD~1". */
  label: string;
  /** Full commit hash built. */
  commit: string;
  /** Root of the temporary worktree; benchmarks run with this as their working directory. */
  dir: string;
  /** Names of the benchmarks this revision defines. */
  benchmarks: string[];
  /** Runs one benchmark in a fresh process and returns its record (the JSON its child prints). */
  runOne(name: string, quick: boolean): Promise<Record<string, unknown>>;
  /** Removes the worktree. */
  remove(): Promise<void>;
}

/**
 * The commit `rev` names in `repo`. `WORKTREE` is the working tree's tracked changes as a
 * commit (`git stash create`, which changes nothing), or HEAD when there are none.
 */
export async function resolveRevision(repo: string, rev: string): Promise<string> {
  if (rev === WORKTREE) {
    const { stdout } = await run("git", ["-C", repo, "stash", "create", "bench:compare"]);
    if (stdout.trim() !== "") return stdout.trim();
    rev = "HEAD";
  }
  const { stdout } = await run("git", ["-C", repo, "rev-parse", "--verify", `${rev}^{commit}`]);
  return stdout.trim();
}

/**
 * Checks `commit` out into a temporary worktree of `repo` and builds its benchmarks. With
 * `harness` (the text of a bench/harness.ts) that file replaces the revision's own, so two
 * revisions can be measured by the same harness.
 */
export async function buildRevision(repo: string, label: string, commit: string, harness?: string): Promise<RevisionBuild> {
  const dir = await mkdtemp(join(tmpdir(), "bench-compare-"));
  await run("git", ["-C", repo, "worktree", "add", "--detach", "--quiet", dir, commit]);
  const remove = async () => {
    await run("git", ["-C", repo, "worktree", "remove", "--force", dir]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [ours, theirs] = await Promise.all([readFile(join(repo, "package-lock.json"), "utf8"), readFile(join(dir, "package-lock.json"), "utf8")]);
    if (ours === theirs) await symlink(join(repo, "node_modules"), join(dir, "node_modules"), "dir");
    else await run("npm", ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: dir, maxBuffer: 64 << 20 });
    if (harness !== undefined) await writeFile(join(dir, "bench", "harness.ts"), harness);
    await run(join(dir, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.bench.json"], { cwd: dir, maxBuffer: 64 << 20 });
    const benchmarks = await listBenchmarks(dir);
    return { label, commit, dir, benchmarks, runOne: (name, quick) => runOne(dir, name, quick), remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Drops worktrees whose directories are gone (a comparison killed before it cleaned up). */
export async function pruneWorktrees(repo: string): Promise<void> {
  await run("git", ["-C", repo, "worktree", "prune"]);
}

// Imports every built *.bench.js and prints the names they export; works for any revision
// whose bench modules export `benchmarks: { name }[]`.
const LISTER = `
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
const dir = join(process.cwd(), ".bench-build", "bench");
const names = [];
for (const file of (await readdir(dir)).filter((f) => f.endsWith(".bench.js")).sort()) {
  const module = await import(pathToFileURL(join(dir, file)).href);
  for (const b of module.benchmarks ?? []) names.push(b.name);
}
process.stdout.write(JSON.stringify(names) + "\\n");
process.exit(0);
`;

async function listBenchmarks(dir: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", LISTER], { cwd: dir, maxBuffer: 16 << 20 });
  return JSON.parse(lastLine(stdout)) as string[];
}

async function runOne(dir: string, name: string, quick: boolean): Promise<Record<string, unknown>> {
  const args = [join(dir, ".bench-build", "bench", "run.js"), "--run-one", name, ...(quick ? ["--quick"] : [])];
  const { stdout } = await run(process.execPath, args, { cwd: dir, maxBuffer: 16 << 20, timeout: 15 * 60 * 1000 });
  return JSON.parse(lastLine(stdout)) as Record<string, unknown>;
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return lines[lines.length - 1]!;
}
