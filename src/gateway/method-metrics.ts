import type { Registry } from "prom-client";
import { CALL_LATENCY_BUCKETS_S } from "../transports/websocket/hub/call-tracker.js";
import type { HubCallStats } from "../transports/websocket/hub/hub.js";
import { connectCodeName } from "./connect-error.js";
import { registerFamily, type Sample } from "./custom-metric.js";

/**
 * Per-method series of the RPC calls a hub routes between agents (its call tracking, whose
 * method labels are capped: past the cap, method="other"): calls ended by status code, calls in
 * flight, and the latency the hub saw from request to response.
 */
export function registerMethodMetrics(registry: Registry, calls: HubCallStats): void {
  registerFamily(registry, "swarm_hub_rpc_calls_total", "RPC calls routed between agents that ended, by method and status (Connect code names)", "counter", () => {
    const samples: Sample[] = [];
    for (const method of calls.methods()) {
      method.codes.forEach((count, code) => {
        if (count > 0) samples.push({ labels: { method: method.method, code: connectCodeName(code) }, value: count });
      });
    }
    return samples;
  });
  registerFamily(registry, "swarm_hub_rpc_in_flight", "RPC calls routed between agents and not answered yet, by method", "gauge", () =>
    calls.methods().map((method) => ({ labels: { method: method.method }, value: method.inFlight })),
  );
  registerFamily(registry, "swarm_hub_rpc_duration_seconds", "RPC calls routed between agents, from the request to the response the hub forwarded, by method", "histogram", () => {
    const samples: Sample[] = [];
    const name = "swarm_hub_rpc_duration_seconds";
    for (const method of calls.methods()) {
      let cumulative = 0;
      method.buckets.forEach((count, i) => {
        cumulative += count;
        samples.push({ metricName: `${name}_bucket`, labels: { le: i < CALL_LATENCY_BUCKETS_S.length ? CALL_LATENCY_BUCKETS_S[i]! : "+Inf", method: method.method }, value: cumulative });
      });
      samples.push({ metricName: `${name}_sum`, labels: { method: method.method }, value: method.latencySumS });
      samples.push({ metricName: `${name}_count`, labels: { method: method.method }, value: cumulative });
    }
    return samples;
  });
  registerFamily(registry, "swarm_hub_rpc_untracked_total", "RPC calls routed but not tracked (past the bound of calls tracked at once)", "counter", () => [{ labels: {}, value: calls.untracked }]);
}
