// `npm run stress`: the suites that flaked under load, run many times on a loaded machine.
//
// Each run is one `vitest run` of the reconnect/resume suites and of 1,000 concurrent large
// calls over every transport (in-process, shared memory in one thread and across worker
// threads, WebSocket through a hub), while CPU burners (busy loops in child processes, one per
// core by default) compete for the cores. A run that does not finish within --run-timeout-s
// is a stall: it is killed and the files it was running are named. Failed tests are listed
// with their first error line; those that timed out (test timeout, DEADLINE_EXCEEDED, a
// transport Timeout) are counted as timeouts. Exits 1 unless every run passed.
//
//   npm run stress -- [--runs 20] [--burners N] [--run-timeout-s 300] [--only websocket]
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";

const SUITES = [
  // reconnect and session resumption
  { name: "resume", files: ["test/transports/websocket-session.test.ts", "test/transports/websocket-reconnect.test.ts", "test/pubsub/websocket-resubscribe.test.ts"] },
  // 1,000 concurrent calls of 314 KB over every transport
  {
    name: "concurrent",
    files: ["test/rpc/in-process-rpc.test.ts", "test/rpc/shared-memory-rpc.test.ts", "test/rpc/websocket-rpc.test.ts", "test/rpc/shared-memory-worker-rpc.test.ts"],
    filter: "concurrent_large_unary",
  },
];

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : process.argv[index + 1];
}

const runs = Number(option("runs", "20"));
const burnerCount = Number(option("burners", String(cpus().length)));
const runTimeoutMs = Number(option("run-timeout-s", "300")) * 1000;
const only = option("only", undefined);
const suites = SUITES.map((suite) => ({ ...suite, files: suite.files.filter((file) => only === undefined || file.includes(only)) })).filter((suite) => suite.files.length > 0);

const burners = [];
function startBurners() {
  for (let i = 0; i < burnerCount; i++) {
    const burner = spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
    burners.push(burner);
  }
}
function stopBurners() {
  for (const burner of burners.splice(0)) burner.kill("SIGKILL");
}
process.on("SIGINT", () => {
  stopBurners();
  process.exit(130);
});

/** One vitest run of one suite; resolves with its report, or `stalled` when the watchdog killed it. */
function runSuite(suite, dir, index) {
  const report = join(dir, `${suite.name}-${index}.json`);
  const args = ["vitest", "run", ...suite.files, "--reporter=dot", "--reporter=json", `--outputFile.json=${report}`];
  if (suite.filter !== undefined) args.push("-t", suite.filter);
  return new Promise((resolve) => {
    const child = spawn("npx", args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    let stalled = false;
    const watchdog = setTimeout(() => {
      stalled = true;
      process.kill(-child.pid, "SIGKILL"); // its own process group: vitest and its workers
    }, runTimeoutMs);
    child.once("exit", () => {
      clearTimeout(watchdog);
      let parsed;
      try {
        parsed = JSON.parse(readFileSync(report, "utf8"));
      } catch {
        parsed = undefined;
      }
      resolve({ stalled, report: parsed, output });
    });
  });
}

function failures(report) {
  const out = [];
  for (const file of report?.testResults ?? []) {
    for (const test of file.assertionResults ?? []) {
      if (test.status !== "failed") continue;
      const first = String(test.failureMessages?.[0] ?? "").split("\n")[0];
      out.push({ file: file.name.replace(`${process.cwd()}/`, ""), test: test.fullName, error: first });
    }
    if (file.status === "failed" && (file.assertionResults ?? []).length === 0) out.push({ file: file.name, test: "(file)", error: String(file.message).split("\n")[0] });
  }
  return out;
}

const TIMEOUT = /timed out|DEADLINE_EXCEEDED|Timeout/;
const dir = mkdtempSync(join(tmpdir(), "swarm-stress-"));
const totals = { runs: 0, failedRuns: 0, stalls: 0, timeouts: 0, failedTests: 0, passedTests: 0 };
const started = Date.now();
startBurners();
console.log(`stress: ${runs} runs of ${suites.map((s) => s.name).join(", ")}, ${burnerCount} CPU burner(s), ${cpus().length} × ${cpus()[0]?.model}`);
try {
  for (let run = 1; run <= runs; run++) {
    for (const suite of suites) {
      const t0 = Date.now();
      const { stalled, report, output } = await runSuite(suite, dir, run);
      totals.runs++;
      const failed = failures(report);
      totals.passedTests += report?.numPassedTests ?? 0;
      totals.failedTests += failed.length;
      const timeouts = failed.filter((f) => TIMEOUT.test(f.error)).length;
      totals.timeouts += timeouts;
      const ok = !stalled && report !== undefined && failed.length === 0 && (report.numPassedTests ?? 0) > 0;
      if (!ok) totals.failedRuns++;
      if (stalled) totals.stalls++;
      const seconds = ((Date.now() - t0) / 1000).toFixed(1);
      console.log(`run ${run} ${suite.name}: ${stalled ? "STALLED (killed)" : ok ? "ok" : "FAILED"} in ${seconds} s, ${report?.numPassedTests ?? 0} passed, ${failed.length} failed`);
      for (const f of failed) console.log(`  ✗ ${f.file} › ${f.test}: ${f.error}`);
      if (stalled || (report === undefined && !ok)) console.log(output.split("\n").slice(-30).join("\n"));
    }
  }
} finally {
  stopBurners();
  rmSync(dir, { recursive: true, force: true });
}
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
console.log(
  `stress: ${totals.runs} suite runs in ${minutes} min, ${totals.failedRuns} failed, ${totals.stalls} stalls, ${totals.timeouts} timeouts, ` +
    `${totals.passedTests} tests passed, ${totals.failedTests} failed (${burnerCount} burners)`,
);
process.exit(totals.failedRuns === 0 ? 0 : 1);
