import type { Transport } from "../../src/index.js";
import type { LaneStats } from "./latency.js";

export interface Lane {
  readonly stats: LaneStats;
  readonly transport: Transport;
  readonly agents: readonly string[];
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The live table (a terminal, redrawn in place): one row per transport, then `notes`. */
export function renderTable(lanes: readonly Lane[], elapsedS: number, totalS: number, notes: readonly string[] = []): string {
  const header = `swarm-transport demo  ${fmt(elapsedS, 1)}s / ${totalS}s   (Ctrl-C stops)`;
  const columns = ["transport", "agents", "calls", "calls/s", "p50 µs", "p99 µs", "events", "errors", "reconnects"];
  const rows = lanes.map((lane) => {
    const { p50Us, p99Us } = lane.stats.percentiles();
    return [
      lane.stats.name,
      String(lane.agents.length),
      fmt(lane.stats.calls),
      fmt(lane.stats.rate),
      fmt(p50Us, 1),
      fmt(p99Us, 1),
      fmt(lane.stats.events),
      fmt(lane.stats.errors),
      fmt(lane.transport.stats().reconnections),
    ];
  });
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  return [header, "", line(columns), line(widths.map((w) => "─".repeat(w))), ...rows.map(line), ...(notes.length > 0 ? ["", ...notes] : [])].join("\n");
}

// The line-per-interval table (a pipe or a log): fixed-width columns, a group per transport.
const TIME_WIDTH = 8;
const RATE_WIDTH = 10;
const P99_WIDTH = 10;
const COUNT_WIDTH = 8;
const groupWidth = RATE_WIDTH + P99_WIDTH + 2;

/** The two header lines of the line-per-interval table. */
export function renderHeader(lanes: readonly Lane[]): string {
  const names = lanes.map((lane) => ` ${lane.stats.name.padEnd(groupWidth - 1)}`).join("|");
  const units = lanes.map(() => `${"calls/s".padStart(RATE_WIDTH)}${"p99 µs".padStart(P99_WIDTH)}  `).join("|");
  const totals = `${"events".padStart(COUNT_WIDTH)}${"errors".padStart(COUNT_WIDTH)}`;
  return [`${"elapsed".padStart(TIME_WIDTH)} |${names}|`, `${"".padStart(TIME_WIDTH)} |${units}|${totals}`].join("\n");
}

/** µs with a decimal below 1 ms, whole µs above (the column stays narrow). */
const latency = (us: number) => fmt(us, us < 1000 ? 1 : 0);

/** One line of the line-per-interval table: the rates of the interval just ended, totals so far. */
export function renderRow(lanes: readonly Lane[], elapsedS: number): string {
  const groups = lanes.map((lane) => `${fmt(lane.stats.rate).padStart(RATE_WIDTH)}${latency(lane.stats.percentiles().p99Us).padStart(P99_WIDTH)}  `).join("|");
  const events = lanes.reduce((n, lane) => n + lane.stats.events, 0);
  const errors = lanes.reduce((n, lane) => n + lane.stats.errors, 0);
  return `${`${fmt(elapsedS, 1)}s`.padStart(TIME_WIDTH)} |${groups}|${fmt(events).padStart(COUNT_WIDTH)}${fmt(errors).padStart(COUNT_WIDTH)}`;
}
