import type { AgentStats, WatchResponse } from "../../generated/swarm/hub/v1/stats.js";

const COLUMNS = ["AGENT", "STATE", "MSG/S IN", "MSG/S OUT", "B/S IN", "B/S OUT", "QUEUED", "UNACKED", "CREDIT", "RTT MS", "RECONN", "CALLS IN/OUT"] as const;
/** Columns aligned left (text); the others are numbers, aligned right. */
const LEFT = new Set([0, 1]);

/**
 * The lines of `swarm-transport top` for one snapshot: a summary line, then a table of the
 * agents, busiest first, cut to `maxRows` (with a line saying how many more there are).
 */
export function topLines(snapshot: WatchResponse, maxRows = Infinity): string[] {
  const hub = snapshot.hub;
  const time = new Date(snapshot.atMs).toISOString().slice(11, 19);
  const summary =
    `hub ${JSON.stringify(snapshot.hubId)} at ${time}: ${hub?.connectedAgents ?? 0} agent(s), ${quantity(hub?.messagesRoutedPerS ?? 0)} msg/s routed, ` +
    `${hub?.gatewayInFlight ?? 0} HTTP call(s) in flight, ${hub?.sessionsResumed ?? 0} session(s) resumed, ${hub?.slowConsumersDropped ?? 0} slow consumer(s) dropped`;
  const shown = snapshot.agents.slice(0, Math.max(0, maxRows));
  const rows = shown.map(row);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((cells) => cells[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => (LEFT.has(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ").trimEnd();
  const more = snapshot.agentsTotal - shown.length;
  return [summary, "", line(COLUMNS), ...rows.map(line), ...(more > 0 ? [`… and ${more} more`] : [])];
}

function row(agent: AgentStats): string[] {
  return [
    agent.isHub ? `${agent.agentId} (hub link)` : agent.agentId,
    agent.state,
    quantity(agent.messagesInPerS),
    quantity(agent.messagesOutPerS),
    bytes(agent.bytesInPerS),
    bytes(agent.bytesOutPerS),
    bytes(agent.queuedBytes),
    String(agent.unackedMessages),
    agent.window === 0 ? "-" : `${agent.unreadMessages}/${agent.window}`,
    agent.rttMs < 0 ? "-" : agent.rttMs < 10 ? agent.rttMs.toFixed(2) : agent.rttMs.toFixed(0),
    String(agent.reconnections),
    `${agent.callsServing}/${agent.callsMaking}`,
  ];
}

/** 0, 12, 1.2k, 34.5k, 1.2M: at most four significant characters. */
function quantity(value: number): string {
  if (value < 1000) return value < 10 && value % 1 !== 0 ? value.toFixed(1) : value.toFixed(0);
  if (value < 1e6) return `${(value / 1e3).toFixed(value < 1e4 ? 1 : 0)}k`;
  return `${(value / 1e6).toFixed(value < 1e7 ? 1 : 0)}M`;
}

/** 0, 512, 1.5K, 20M: bytes in binary units. */
function bytes(value: number): string {
  if (value < 1024) return value.toFixed(0);
  const units = ["K", "M", "G", "T"];
  let scaled = value;
  let unit = -1;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${scaled.toFixed(scaled < 10 ? 1 : 0)}${units[unit]}`;
}
