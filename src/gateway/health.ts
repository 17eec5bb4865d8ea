import type { WebSocketHub } from "../transports/websocket/hub/hub.js";
import type { HttpExchange } from "./http-exchange.js";

/** Settings of `/healthz`. */
export interface HealthOptions {
  /** Ready only with at least this many agents connected. Default 1. */
  minAgents?: number;
}

/** What `/healthz` reports (also its JSON body). */
export interface HealthReport {
  status: "ok" | "unavailable";
  /** The hub is open (liveness). */
  live: boolean;
  /** Live and at least `minAgents` agents connected (readiness). */
  ready: boolean;
  hub: string;
  agents: number;
  reason?: string;
}

/** The hub's liveness and readiness now. */
export function healthReport(hub: WebSocketHub, minAgents: number): HealthReport {
  const live = hub.state === "open";
  const agents = hub.hubStats().connectedAgents;
  const ready = live && agents >= minAgents;
  const reason = !live ? `hub is ${hub.state}` : ready ? undefined : `${agents} agent(s) connected, ${minAgents} needed`;
  return { status: ready ? "ok" : "unavailable", live, ready, hub: hub.state, agents, ...(reason === undefined ? {} : { reason }) };
}

/**
 * `/healthz` and `/healthz/ready`: 200 when ready, else 503. `/healthz/live`: 200 while the
 * hub is open. The body is the JSON `HealthReport` either way.
 */
export function serveHealth(exchange: HttpExchange, hub: WebSocketHub, minAgents: number): void {
  const report = healthReport(hub, minAgents);
  const ok = exchange.path === "/healthz/live" ? report.live : report.ready;
  exchange.reply(ok ? 200 : 503, { "content-type": "application/json", "cache-control": "no-store" }, JSON.stringify(report));
}
