import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { describeNats } from "../helpers/nats.js";

interface LaneSummary {
  transport: string;
  agents: number;
  calls: number;
  errors: number;
  events: number;
  acknowledged: number;
}

/** A line of the line-per-second table with calls on all three transports. */
const ROW_WITH_CALLS_EVERYWHERE = /^ +\d+\.\ds \|(?: +[1-9][\d,]* +[\d,.]+ +\|){3}/m;

function runDemo(args: string[], interruptAfter?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "examples/demo/main.ts", "--plain", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let interrupted = false;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (interruptAfter !== undefined && !interrupted && interruptAfter.test(stdout)) {
        interrupted = true;
        child.kill("SIGINT");
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

function summaryOf(stdout: string): LaneSummary[] {
  const line = stdout.split("\n").find((l) => l.startsWith("SUMMARY "));
  expect(line, stdout).toBeDefined();
  return JSON.parse(line!.slice("SUMMARY ".length)) as LaneSummary[];
}

describe("npm start (examples/demo/main.ts)", () => {
  it("works on every transport with zero errors and exits 0 by itself", async () => {
    const { code, stdout, stderr } = await runDemo(["--duration", "3"]);
    expect(code, stderr).toBe(0);
    const summary = summaryOf(stdout);
    expect(summary.map((s) => s.transport)).toEqual(["in-process", "shared-memory", "websocket"]);
    for (const lane of summary) {
      expect(lane.calls, lane.transport).toBeGreaterThan(0);
      expect(lane.errors, lane.transport).toBe(0);
    }
    expect(summary.reduce((total, lane) => total + lane.events, 0)).toBeGreaterThan(0);
    // the announcement reached every agent, and the table is readable without a terminal
    expect(summary.map((lane) => lane.acknowledged)).toEqual(summary.map((lane) => lane.agents));
    expect(stdout).toContain("announcement announce.start reached all 5 agents");
    expect(stdout).toMatch(/^ +elapsed \| in-process +\| shared-memory +\| websocket +\|$/m);
    expect(stdout).toMatch(ROW_WITH_CALLS_EVERYWHERE);
  });

  it("Ctrl-C stops it early and cleanly", async () => {
    // interrupted once a table line shows calls on every transport (with none on one, the demo exits 1)
    const { code, stdout } = await runDemo(["--duration", "60"], ROW_WITH_CALLS_EVERYWHERE);
    expect(code).toBe(0);
    expect(stdout).toContain("(stopped early)");
    expect(summaryOf(stdout).every((lane) => lane.errors === 0)).toBe(true);
  });
});

describeNats("npm start -- --nats (scale-out demo)", () => {
  it("runs the swarm across two hubs on a local 3-node NATS cluster, and on NATS directly, with zero errors", async () => {
    const { code, stdout, stderr } = await runDemo(["--nats", "--duration", "3"]);
    expect(code, stderr).toBe(0);
    const summary = summaryOf(stdout);
    expect(summary.map((s) => s.transport)).toEqual(["in-process", "shared-memory", "websocket-2-hubs", "nats"]);
    for (const lane of summary) {
      expect(lane.calls, lane.transport).toBeGreaterThan(0);
      expect(lane.errors, lane.transport).toBe(0);
    }
  });
});
