/**
 * The hub's stats stream (`swarm.hub.v1.HubStatsService/Watch`), served by the hub's own
 * endpoint to the agents allowed to watch. Who a caller is comes from the envelope's source,
 * which the hub checks against the connection it came on (and, with authentication, the hub
 * admitted that id for it), so allowing ids is allowing authenticated identities.
 *
 *   watcher ──Request(Watch) to the hub's id──▶ hub endpoint: allowed? ──▶ snapshot, every interval
 */
import { HubStatsServiceDefinition, type WatchRequest, type WatchResponse } from "../../generated/swarm/hub/v1/stats.js";
import { createDemux } from "../demux/demux.js";
import type { CallContext } from "../rpc/call-context.js";
import { createServer, type RpcServer } from "../rpc/server.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import type { AgentInfo } from "../transports/websocket/hub/agent-info.js";
import type { WebSocketHub } from "../transports/websocket/hub/hub.js";
import { StatsSampler, type EdgeInFlight } from "./stats-sampler.js";
import { sleep } from "../transport/sleep.js";

/** Who asks to watch: an agent id, and what the hub knows of it (undefined for an agent on a linked hub). */
export interface StatsWatcher {
  readonly agentId: string;
  readonly info: AgentInfo | undefined;
}

/** Options of `serveHubStats`. */
export interface HubStatsOptions {
  /**
   * Agent ids allowed to watch: an exact id ("ops"), a prefix ending in `*` ("ops.*"), or `*`
   * (any agent: only where every agent is trusted). Default: none.
   */
  watchers?: readonly string[];
  /** Decides for callers `watchers` does not allow: true allows. */
  authorize?: (watcher: StatsWatcher) => boolean;
  /** The RpcServer on the hub's own demux to serve on (e.g. `HubHttp.rpcServer`). Default: one of its own. */
  server?: RpcServer;
  /** The hub's HTTP edge, whose calls in flight count in the snapshots (e.g. `HubHttp.gateway`). */
  gateway?: EdgeInFlight;
  /** Streams at once; more are refused with RESOURCE_EXHAUSTED. Default 16. */
  maxWatchers?: number;
}

/** The stats service on a hub; `close()` stops it (streams in progress end UNAVAILABLE). */
export interface HubStatsService {
  close(): Promise<void>;
}

const DEFAULT_INTERVAL_MS = 1000;
const MIN_INTERVAL_MS = 100;
const DEFAULT_MAX_AGENTS = 500;
const MAX_AGENTS = 10_000;

/**
 * Serves the hub's stats stream to the watchers `options` allow, and turns on what it reports:
 * the hub's call tracking (`callStats`) and, once per snapshot, a ping of every agent.
 * ```ts
 * const stats = serveHubStats(hub, { watchers: ["ops"] });   // `swarm-transport top --id ops`
 * ```
 */
export function serveHubStats(hub: WebSocketHub, options: HubStatsOptions = {}): HubStatsService {
  const watchers = options.watchers ?? [];
  const maxWatchers = options.maxWatchers ?? 16;
  const own = options.server === undefined ? createDemux(hub) : undefined;
  const server = options.server ?? createServer(own!);
  hub.callStats();
  let active = 0;

  function allow(ctx: CallContext): void {
    const agentId = ctx.peer;
    // a call from the hub's own endpoint came in over the HTTP edge, which authenticates no one
    if (agentId === hub.localAddress) throw new RpcError(Status.PERMISSION_DENIED, "the hub's stats are not served over its HTTP edge: watch them as an agent (swarm-transport top)");
    if (watchers.some((pattern) => idMatches(pattern, agentId))) return;
    if (options.authorize?.({ agentId, info: hub.agentInfo(agentId) }) === true) return;
    throw new RpcError(Status.PERMISSION_DENIED, `agent ${JSON.stringify(agentId)} may not watch the stats of hub ${JSON.stringify(hub.localAddress)} (the hub's stats watchers must allow it)`);
  }

  async function* watch(request: WatchRequest, ctx: CallContext): AsyncIterable<WatchResponse> {
    allow(ctx);
    if (active >= maxWatchers) throw new RpcError(Status.RESOURCE_EXHAUSTED, `hub ${JSON.stringify(hub.localAddress)} serves at most ${maxWatchers} stats streams at once`);
    const intervalMs = request.intervalMs === 0 ? DEFAULT_INTERVAL_MS : Math.max(MIN_INTERVAL_MS, request.intervalMs);
    const maxAgents = request.maxAgents === 0 ? DEFAULT_MAX_AGENTS : Math.min(MAX_AGENTS, request.maxAgents);
    const sampler = new StatsSampler(hub, options.gateway);
    active++;
    try {
      for (;;) {
        hub.pingAgents();
        yield sampler.sample(maxAgents);
        await sleep(intervalMs, ctx.signal);
      }
    } finally {
      active--;
    }
  }

  server.add(HubStatsServiceDefinition, { watch });
  return {
    close: async () => {
      if (own === undefined) return;
      await server.close();
      await own.close();
    },
  };
}

/** Whether an id pattern (exact, `prefix*`, `*`) matches `id`. */
function idMatches(pattern: string, id: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return id.startsWith(pattern.slice(0, -1));
  return pattern === id;
}

