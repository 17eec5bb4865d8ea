import type { Transport } from "../../src/index.js";
import type { LaneStats } from "./latency.js";

export interface Lane {
  readonly stats: LaneStats;
  readonly transport: Transport;
  readonly agents: readonly string[];
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The live table: one row per transport. */
export function renderTable(lanes: readonly Lane[], elapsedS: number, totalS: number): string {
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
  return [header, "", line(columns), line(widths.map((w) => "─".repeat(w))), ...rows.map(line)].join("\n");
}
