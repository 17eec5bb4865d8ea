import type { HubAgentEvent } from "../transports/websocket/hub/hub-events.js";
import type { WebSocketHub } from "../transports/websocket/hub/hub.js";
import type { Status } from "../status/status.js";
import { connectCodeName } from "../gateway/connect-error.js";
import type { Logger } from "./log.js";

/** Logs a hub's agent events: joins, departures, parked sessions at info; connections the hub dropped as warnings. Returns a function that stops. */
export function logHubEvents(hub: WebSocketHub, log: Logger): () => void {
  return hub.onAgentEvent((event: HubAgentEvent) => {
    const who = (id: string, isHub = false) => `${isHub ? "hub" : "agent"} ${JSON.stringify(id)}`;
    switch (event.type) {
      case "joined":
        return log.log("info", "agent-joined", `${who(event.agentId, event.isHub)} joined from ${event.remoteAddress || "?"}${event.resumed ? " (session resumed)" : ""}`, {
          agent: event.agentId,
          remote: event.remoteAddress,
          hubLink: event.isHub,
          resumed: event.resumed,
        });
      case "parked":
        return log.log("info", "agent-parked", `${who(event.agentId)} lost its link (${event.reason}); its session is kept for it`, { agent: event.agentId, reason: event.reason });
      case "left":
        return log.log("info", "agent-left", `${who(event.agentId)} left (${event.reason})`, { agent: event.agentId, reason: event.reason });
      case "dropped": {
        const from = event.agentId === "" ? `a connection from ${event.remoteAddress || "?"}` : `${who(event.agentId)} (${event.remoteAddress || "?"})`;
        return log.log("warn", "connection-dropped", `${from} dropped by the hub: ${event.reason}`, { agent: event.agentId || undefined, remote: event.remoteAddress, reason: event.reason, code: event.code });
      }
    }
  });
}

/** Logs each HTTP edge call at debug: method, status, milliseconds, bytes. */
export function logEdgeCall(log: Logger): (method: string, code: Status, seconds: number, bytesIn: number, bytesOut: number) => void {
  return (method, code, seconds, bytesIn, bytesOut) => {
    if (!log.enabled("debug")) return;
    const ms = Math.round(seconds * 1e4) / 10;
    log.log("debug", "http-call", `http ${method} ${connectCodeName(code)} in ${ms} ms (${bytesIn} bytes in, ${bytesOut} out)`, { method, code: connectCodeName(code), ms, bytesIn, bytesOut });
  };
}
