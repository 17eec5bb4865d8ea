/**
 * Prometheus metrics of a hub and its gateway (prom-client, one registry per hub, so several
 * hubs in a process never share series). Hub counters are read from its snapshots at scrape
 * time; gateway calls are observed as they finish.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Status } from "../status/status.js";
import type { WebSocketHub } from "../transports/websocket/hub/hub.js";
import type { HubStats } from "../transports/websocket/hub/hub-stats.js";
import type { TransportStats } from "../transport/stats.js";
import { registerAgentMetrics } from "./agent-metrics.js";
import { connectCodeName } from "./connect-error.js";
import { registerMethodMetrics } from "./method-metrics.js";
import type { GatewayCallObserver } from "./gateway.js";

/** Gateway call latency buckets, in seconds (0.25 ms … 10 s). */
export const LATENCY_BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How many label values the per-agent and per-method series may have. */
export interface MetricsOptions {
  /** Agents with series of their own; the rest are summed under agent="other". Default 100. */
  maxAgentSeries?: number;
  /** Methods with series of their own; the rest are counted under method="other". Default 100. */
  maxMethodSeries?: number;
}

/** The metrics of one hub. */
export class HubMetrics {
  readonly registry = new Registry();
  /** Observes finished gateway calls. */
  readonly observeCall: GatewayCallObserver;
  readonly #http = { requests: 0, responses: 0, bytesIn: 0, bytesOut: 0, errors: 0 };

  /** Per-agent and per-method series turn on the hub's call tracking (`WebSocketHub.callStats`). */
  constructor(hub: WebSocketHub, gatewayInFlight: () => number, options: MetricsOptions = {}, edgeCallsTo: (agent: string) => number = () => 0) {
    const registers = [this.registry];
    const http = this.#http;
    // snapshots are a few fields each: every collector takes its own
    const hubStats = (): HubStats => hub.hubStats();
    const stats = (): TransportStats => hub.stats();
    new Gauge({ name: "swarm_hub_up", help: "1 while the hub is open", registers, collect() { this.set(hub.state === "open" ? 1 : 0); } });
    new Gauge({ name: "swarm_hub_connected_agents", help: "Agents connected to the hub", registers, collect() { this.set(hubStats().connectedAgents); } });
    new Gauge({ name: "swarm_gateway_in_flight", help: "HTTP gateway calls in flight", registers, collect() { this.set(gatewayInFlight()); } });
    const perTransport = (name: string, help: string, websocket: () => number, ofHttp: () => number | undefined): void => {
      new Counter({
        name,
        help,
        labelNames: ["transport"],
        registers,
        collect() {
          this.reset();
          this.inc({ transport: "websocket" }, websocket());
          const value = ofHttp();
          if (value !== undefined) this.inc({ transport: "http" }, value);
        },
      });
    };
    perTransport("swarm_transport_messages_received_total", "Messages received: by the hub's own endpoint (websocket), HTTP gateway requests (http)", () => stats().messagesReceived, () => http.requests);
    perTransport("swarm_transport_messages_sent_total", "Messages sent: by the hub's own endpoint (websocket), HTTP gateway responses (http)", () => stats().messagesSent, () => http.responses);
    perTransport("swarm_transport_bytes_received_total", "Bytes read: frames on every hub connection (websocket), gateway request bodies (http)", () => stats().bytesReceived, () => http.bytesIn);
    perTransport("swarm_transport_bytes_sent_total", "Bytes written: frames on every hub connection (websocket), gateway response bodies (http)", () => stats().bytesSent, () => http.bytesOut);
    perTransport("swarm_transport_errors_total", "Failed operations (websocket), gateway calls that did not end OK (http)", () => stats().errors, () => http.errors);
    perTransport("swarm_transport_messages_dropped_total", "Messages discarded by the hub's endpoint", () => stats().messagesDropped, () => undefined);
    perTransport("swarm_transport_reconnections_total", "Agents that reconnected and resumed their session", () => hubStats().sessionsResumed, () => undefined);
    const hubCounter = (name: string, help: string, read: (s: HubStats) => number): void => {
      new Counter({ name, help, registers, collect() { this.reset(); this.inc(read(hubStats())); } });
    };
    hubCounter("swarm_hub_messages_routed_total", "Frames forwarded from one agent to another", (s) => s.messagesRouted);
    hubCounter("swarm_hub_dropped_by_ttl_total", "Messages dropped because their ttl ran out", (s) => s.droppedByTtl);
    hubCounter("swarm_hub_undeliverable_total", "Messages to an unknown destination", (s) => s.undeliverable);
    hubCounter("swarm_hub_protocol_errors_total", "Connections closed for malformed or oversize frames", (s) => s.protocolErrors);
    hubCounter("swarm_hub_auth_rejections_total", "Agents refused by the authentication hook", (s) => s.authRejections);
    hubCounter("swarm_hub_slow_consumers_dropped_total", "Agents disconnected as slow consumers", (s) => s.slowConsumersDropped);
    hubCounter("swarm_hub_heartbeat_timeouts_total", "Agents dropped for silence", (s) => s.heartbeatTimeouts);
    hubCounter("swarm_hub_sessions_expired_total", "Agent sessions given up", (s) => s.sessionsExpired);
    registerAgentMetrics(this.registry, hub, options.maxAgentSeries ?? 100, edgeCallsTo);
    registerMethodMetrics(this.registry, hub.callStats({ maxMethods: options.maxMethodSeries ?? 100 }));
    const latency = new Histogram({
      name: "swarm_gateway_rpc_duration_seconds",
      help: "HTTP gateway calls, from request to response, by method and Connect code",
      labelNames: ["method", "code"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.observeCall = (method: string, code: Status, seconds: number, bytesIn: number, bytesOut: number) => {
      http.requests++;
      http.responses++;
      http.bytesIn += bytesIn;
      http.bytesOut += bytesOut;
      if (code !== 0) http.errors++;
      latency.observe({ method, code: connectCodeName(code) }, seconds);
    };
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    this.registry.clear();
  }
}
