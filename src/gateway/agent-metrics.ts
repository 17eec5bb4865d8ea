import type { Registry } from "prom-client";
import type { AgentInfo } from "../transports/websocket/hub/agent-info.js";
import type { WebSocketHub } from "../transports/websocket/hub/hub.js";
import { CappedSeries } from "./capped-series.js";
import { registerFamily, type Sample } from "./custom-metric.js";

const COUNTERS = ["messagesIn", "messagesOut", "bytesIn", "bytesOut", "reconnections"] as const;
type Counted = (typeof COUNTERS)[number];

/** Readings of one scrape: counters per label, and the live agents with their labels. */
interface Scrape {
  counters: ReadonlyMap<string, Readonly<Record<Counted, number>>>;
  agents: { label: string; info: AgentInfo; edgeCalls: number }[];
}

/**
 * Per-agent series of a hub's /metrics, at most `maxAgents` labels (then "other"): messages and
 * bytes each way, reconnections (counters); bytes queued towards it, messages unacknowledged
 * and unread, calls in flight each way, the round trip of the last ping (gauges). Hub links
 * count as agents, under their hub id.
 */
export function registerAgentMetrics(registry: Registry, hub: WebSocketHub, maxAgents: number, edgeCallsTo: (agent: string) => number): void {
  const series = new CappedSeries(maxAgents, COUNTERS);
  let last: Scrape | undefined;
  // every family of one scrape reads the same readings (and counters move on once per scrape):
  // prom-client calls each family's get() in one synchronous pass, so the readings live until
  // the next microtask
  const scrape = (): Scrape => {
    if (last !== undefined) return last;
    const infos = hub.agentInfos();
    hub.pingAgents(); // their round trips show in the next scrape
    const counters = series.update(infos.map((info) => ({ id: info.agentId, values: info })));
    const agents = infos.map((info) => ({ label: series.labelOf(info.agentId), info, edgeCalls: edgeCallsTo(info.agentId) }));
    last = { counters, agents };
    queueMicrotask(() => (last = undefined));
    return last;
  };
  const counter = (name: string, help: string, field: Counted): void =>
    registerFamily(registry, name, help, "counter", () => [...scrape().counters].map(([agent, totals]) => ({ labels: { agent }, value: totals[field] })));
  /** A gauge's samples: `read` of each live agent, summed (or the largest) per label. */
  const grouped = (read: (agent: Scrape["agents"][number]) => number | undefined, combine: "sum" | "max" = "sum", labels: Record<string, string> = {}): Sample[] => {
    const byLabel = new Map<string, number>();
    for (const agent of scrape().agents) {
      const value = read(agent);
      if (value === undefined) continue;
      const before = byLabel.get(agent.label);
      byLabel.set(agent.label, before === undefined ? value : combine === "sum" ? before + value : Math.max(before, value));
    }
    return [...byLabel].map(([agent, value]) => ({ labels: { agent, ...labels }, value }));
  };
  counter("swarm_hub_agent_messages_received_total", "Frames the hub read from the agent (agents past the cap: agent=\"other\")", "messagesIn");
  counter("swarm_hub_agent_messages_sent_total", "Frames the hub wrote to the agent", "messagesOut");
  counter("swarm_hub_agent_bytes_received_total", "Bytes of frames the hub read from the agent", "bytesIn");
  counter("swarm_hub_agent_bytes_sent_total", "Bytes of frames the hub wrote to the agent", "bytesOut");
  counter("swarm_hub_agent_reconnections_total", "Times the agent's session resumed on a new link", "reconnections");
  const family = (name: string, help: string, samples: () => Sample[]) => registerFamily(registry, name, help, "gauge", samples);
  family("swarm_hub_agent_queued_bytes", "Bytes the hub has not yet written to the agent", () => grouped((a) => a.info.bufferedBytes));
  family("swarm_hub_agent_unacked_messages", "Messages the hub sent the agent that it has not acknowledged", () => grouped((a) => a.info.unackedMessages));
  family("swarm_hub_agent_unread_messages", "Messages routed to the agent that its application has not taken (as its credit tells)", () => grouped((a) => a.info.unreadMessages));
  family("swarm_hub_agent_rtt_seconds", "Round trip of the hub's last ping to the agent (other: the largest)", () => grouped((a) => (a.info.rttMs === undefined ? undefined : a.info.rttMs / 1000), "max"));
  family("swarm_hub_agent_calls_in_flight", "RPC calls in flight: routed to the agent and not answered (role=serving, HTTP edge calls included), made by it (role=making)", () => [
    ...grouped((a) => a.info.callsServing + a.edgeCalls, "sum", { role: "serving" }),
    ...grouped((a) => a.info.callsMaking, "sum", { role: "making" }),
  ]);
}
