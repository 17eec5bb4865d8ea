import { afterEach, describe, expect, it } from "vitest";
import { createHubHttp, WebSocketTransport } from "../../src/node.js";
import { FIBONACCI, post, startGateway, type GatewayFixture } from "./fixture.js";

describe("hub HTTP: /healthz and /metrics", () => {
  let f: GatewayFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it("is live but not ready without agents, ready with them", async () => {
    f = await startGateway({ health: { minAgents: 2 } }, false);
    const live = await fetch(`${f.baseUrl}/healthz/live`);
    expect(live.status).toBe(200);
    const notReady = await fetch(`${f.baseUrl}/healthz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ status: "unavailable", live: true, ready: false, agents: 1 });
    const other = await WebSocketTransport.client({ url: f.hub.url, agentId: "second" }, { heartbeatIntervalMs: 0 });
    try {
      const ready = await fetch(`${f.baseUrl}/healthz/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: "ok", live: true, ready: true, agents: 2 });
    } finally {
      await other.close();
    }
  });

  it("exports hub and gateway metrics in the Prometheus text format", async () => {
    f = await startGateway();
    await post(f.baseUrl, FIBONACCI, '{"n": 5}');
    await post(f.baseUrl, FIBONACCI, '{"n": 5}', { "swarm-to": "nobody" });
    await f.ours.fibonacci({ n: 5 });
    const response = await fetch(`${f.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"/.]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);
    expect(value("swarm_hub_up")).toBe(1);
    expect(value("swarm_hub_connected_agents")).toBe(3);
    expect(value(`swarm_gateway_rpc_duration_seconds_count{method="${FIBONACCI}",code="ok"}`)).toBe(1);
    expect(value(`swarm_gateway_rpc_duration_seconds_count{method="${FIBONACCI}",code="unavailable"}`)).toBe(1);
    expect(value('swarm_transport_messages_received_total{transport="http"}')).toBe(2);
    expect(value('swarm_transport_errors_total{transport="http"}')).toBe(1);
    expect(value('swarm_transport_bytes_received_total{transport="websocket"}')).toBeGreaterThan(0);
    expect(value("swarm_hub_messages_routed_total")).toBeGreaterThanOrEqual(2); // our own client's call and its answer
    for (const name of ["swarm_hub_dropped_by_ttl_total", "swarm_transport_reconnections_total", "swarm_gateway_in_flight"]) expect(text).toContain(`\n${name}`);
  });

  it("serves nothing it was not asked to: 404 for the gateway, health and metrics when off", async () => {
    f = await startGateway({}, false);
    for (const path of ["/metrics", "/healthz", FIBONACCI]) expect((await fetch(f.baseUrl + path, { method: path === FIBONACCI ? "POST" : "GET" })).status).toBe(404);
  });

  it("serves on a port of its own with bindAddr, and releases it on close", async () => {
    const http = createHubHttp({ health: { minAgents: 0 }, bindAddr: "127.0.0.1:0" });
    const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", http });
    expect(http.port).not.toBe(hub.port);
    expect((await fetch(`http://127.0.0.1:${http.port}/healthz`)).status).toBe(200);
    await hub.close();
    await expect(fetch(`http://127.0.0.1:${http.port}/healthz`)).rejects.toThrow();
  });

  it("fails the hub's start when the gateway's .proto files cannot be loaded", async () => {
    await expect(WebSocketTransport.server({ bindAddr: "127.0.0.1:0", http: createHubHttp({ gateway: { protoFiles: ["/nonexistent.proto"] } }) })).rejects.toThrow(/nonexistent/);
  });
});
