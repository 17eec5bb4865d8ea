import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError, ExitCode } from "../cli-error.js";
import type { Command } from "../command.js";

export const benchCommand: Command = {
  name: "bench",
  summary: "run the benchmark suite (from a clone of the repository)",
  usage: `swarm-transport bench [--quick] [NAME-FILTER ...]

Runs the benchmarks in bench/ (as "npm run bench" does), prints the table and writes
bench/results.json. Needs the repository (bench/ is not part of the published package).`,
  async run(argv, io) {
    if (argv.includes("--help") || argv.includes("-h")) return io.out(benchCommand.usage);
    const root = findRepositoryRoot();
    if (root === undefined) throw new CliError("bench: no bench/ folder here; run it from a clone of the swarm-transport repository", ExitCode.USAGE);
    const code = await new Promise<number>((resolve) => {
      const child = spawn("npm", ["run", "--silent", "bench", "--", ...argv], { cwd: root, stdio: "inherit" });
      child.on("exit", (exitCode) => resolve(exitCode ?? 1));
      child.on("error", () => resolve(1));
    });
    if (code !== 0) throw new CliError(`bench: the benchmark run failed (exit ${code})`, ExitCode.FAILED);
  },
};

function findRepositoryRoot(): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "bench", "run.ts")) && existsSync(join(dir, "package.json"))) return dir;
  }
  return undefined;
}
