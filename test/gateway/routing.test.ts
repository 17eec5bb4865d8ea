// Routing without a header: agents announce what they serve, the hub spreads calls over them
// (fewest in flight, ties in turn), `swarm-to` overrides, and the answers when nobody serves a
// service (UNIMPLEMENTED), when its agents have all gone (UNAVAILABLE), and when the agent of a
// call in flight goes (UNAVAILABLE). Real agents, a real gRPC client.
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createDemux, createServer } from "../../src/index.js";
import { WebSocketTransport } from "../../src/node.js";
import { waitFor } from "../helpers/wait-for.js";
import { COMPUTE, recordingService, startEdge, type EdgeFixture } from "./edge-fixture.js";

const FIBONACCI = "/swarm.examples.v1.ComputeService/Fibonacci";
/** FibonacciRequest{n: 5} */
const N5 = Buffer.from([8, 5]);

function call(port: number, metadata: Record<string, string> = {}): Promise<{ code: number; details: string }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  return new Promise((resolve) =>
    client.makeUnaryRequest(FIBONACCI, (b: Buffer) => b, (b: Buffer) => b, N5, md, (error) => {
      client.close();
      resolve({ code: error?.code ?? 0, details: error?.details ?? "" });
    }),
  );
}

describe("routing by announced service", () => {
  let f: EdgeFixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it("spreads calls over the agents serving the service: in turn when idle, to the least busy when not", async () => {
    f = await startEdge();
    await f.agent("a");
    await f.agent("b");
    for (let i = 0; i < 4; i++) expect((await call(f.port)).code).toBe(0);
    expect(f.observed.metadata.map((m) => m.agent)).toEqual(["a", "b", "a", "b"]);
    // two calls that stay in flight go to different agents, and a third to whichever is free
    const hanging = [call(f.port, { "x-hang": "1" }), call(f.port, { "x-hang": "1" })];
    await waitFor(() => f!.observed.metadata.length, { until: (n) => n === 6, what: "two calls to reach the agents" });
    expect(new Set(f.observed.metadata.slice(4).map((m) => m.agent))).toEqual(new Set(["a", "b"]));
    await f.hub.close(); // ends the hanging calls
    expect((await Promise.all(hanging)).map((r) => r.code)).toEqual([grpc.status.UNAVAILABLE, grpc.status.UNAVAILABLE]);
  });

  it("swarm-to overrides the table", async () => {
    f = await startEdge();
    await f.agent("a");
    await f.agent("b");
    for (let i = 0; i < 3; i++) expect((await call(f.port, { "swarm-to": "b" })).code).toBe(0);
    expect(f.observed.metadata.map((m) => m.agent)).toEqual(["b", "b", "b"]);
  });

  it("UNIMPLEMENTED when no agent ever served the service, UNAVAILABLE once its agents have all gone", async () => {
    f = await startEdge();
    const never = await call(f.port);
    expect(never.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(never.details).toMatch(/no agent serves swarm\.examples\.v1\.ComputeService/);
    const agent = await f.agent("a");
    expect((await call(f.port)).code).toBe(0);
    await agent.close();
    await waitFor(() => f!.hub.services.state(COMPUTE), { until: (s) => s === "not-serving", what: "the table to drop the agent" });
    const gone = await call(f.port);
    expect(gone.code).toBe(grpc.status.UNAVAILABLE);
    expect(gone.details).toMatch(/every agent serving swarm\.examples\.v1\.ComputeService has gone/);
  });

  it("a call in flight whose agent goes ends UNAVAILABLE", async () => {
    f = await startEdge();
    const agent = await f.agent("a");
    const pending = call(f.port, { "x-hang": "1" });
    await waitFor(() => f!.http.gateway!.inFlight, { until: (n) => n === 1, what: "the call to reach the agent" });
    await agent.close();
    expect((await pending).code).toBe(grpc.status.UNAVAILABLE);
  });

  it("an agent that reconnects without its session announces again", async () => {
    f = await startEdge();
    const transport = await WebSocketTransport.client(
      { url: f.hub.url, agentId: "phoenix" },
      { heartbeatIntervalMs: 0, resumeSessions: false, reconnectBaseDelayMs: 1, reconnectMaxDelayMs: 5 },
    );
    try {
      createServer(createDemux(transport)).add(ComputeServiceDefinition, recordingService("phoenix", f.observed));
      await waitFor(() => f!.hub.services.agents(COMPUTE).includes("phoenix"), { what: "the first announcement" });
      f.hub.dropConnection("phoenix");
      await waitFor(() => f!.hub.services.agents(COMPUTE).length, { until: (n) => n === 0, what: "the dropped agent to leave the table" });
      await waitFor(() => f!.hub.services.agents(COMPUTE).includes("phoenix"), { what: "the reconnected agent's announcement" });
      expect((await call(f.port)).code).toBe(0);
    } finally {
      await transport.close();
    }
  });
});
