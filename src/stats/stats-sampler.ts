import type { AgentStats, HubTotals, WatchResponse } from "../../generated/swarm/hub/v1/stats.js";
import type { AgentInfo } from "../transports/websocket/hub/agent-info.js";
import type { WebSocketHub } from "../transports/websocket/hub/hub.js";

/** The HTTP edge's calls in flight, in all and per agent (see `Gateway`). */
export interface EdgeInFlight {
  readonly inFlight: number;
  inFlightTo(agent: string): number;
}

interface Counts {
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
}

/**
 * Snapshots of a hub for one stream of them: totals from the hub, rates per second since this
 * stream's previous snapshot, agents sorted busiest first (messages per second in and out, then
 * id) and cut to `maxAgents`.
 */
export class StatsSampler {
  readonly #hub: WebSocketHub;
  readonly #edge: EdgeInFlight | undefined;
  #previous: { atMs: number; routed: number; agents: Map<string, Counts> } | undefined;

  constructor(hub: WebSocketHub, edge: EdgeInFlight | undefined) {
    this.#hub = hub;
    this.#edge = edge;
  }

  sample(maxAgents: number): WatchResponse {
    const atMs = Date.now();
    const previous = this.#previous;
    const seconds = previous === undefined ? 0 : Math.max(0.001, (atMs - previous.atMs) / 1000);
    const rate = (now: number, before: number | undefined): number => (seconds === 0 ? 0 : (before === undefined || now < before ? now : now - before) / seconds);
    const stats = this.#hub.hubStats();
    const agents = this.#hub.agentInfos().map((info) => this.#agent(info, previous?.agents.get(info.agentId), rate));
    agents.sort((a, b) => b.messagesInPerS + b.messagesOutPerS - (a.messagesInPerS + a.messagesOutPerS) || (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0));
    const hub: HubTotals = {
      connectedAgents: stats.connectedAgents,
      messagesRouted: stats.messagesRouted,
      messagesRoutedPerS: rate(stats.messagesRouted, previous?.routed),
      undeliverable: stats.undeliverable,
      slowConsumersDropped: stats.slowConsumersDropped,
      sessionsResumed: stats.sessionsResumed,
      gatewayInFlight: this.#edge?.inFlight ?? 0,
    };
    this.#previous = { atMs, routed: stats.messagesRouted, agents: new Map(agents.map((a) => [a.agentId, a])) };
    return { hubId: this.#hub.localAddress, atMs, intervalS: seconds, hub, agents: agents.slice(0, maxAgents), agentsTotal: agents.length };
  }

  #agent(info: AgentInfo, before: Counts | undefined, rate: (now: number, before: number | undefined) => number): AgentStats {
    return {
      agentId: info.agentId,
      state: info.state,
      isHub: info.isHub,
      messagesIn: info.messagesIn,
      messagesOut: info.messagesOut,
      bytesIn: info.bytesIn,
      bytesOut: info.bytesOut,
      messagesInPerS: rate(info.messagesIn, before?.messagesIn),
      messagesOutPerS: rate(info.messagesOut, before?.messagesOut),
      bytesInPerS: rate(info.bytesIn, before?.bytesIn),
      bytesOutPerS: rate(info.bytesOut, before?.bytesOut),
      queuedBytes: info.bufferedBytes,
      unackedMessages: info.unackedMessages,
      window: info.window,
      unreadMessages: info.unreadMessages,
      rttMs: info.rttMs ?? -1,
      reconnections: info.reconnections,
      callsServing: info.callsServing + (this.#edge?.inFlightTo(info.agentId) ?? 0),
      callsMaking: info.callsMaking,
    };
  }
}
