// Trace context at the hub's HTTP edge over each protocol it speaks: @connectrpc/connect-node
// clients (gRPC over HTTP/2, gRPC-Web and Connect over HTTP/1.1) send a W3C traceparent; the
// edge's server span continues it, the hop to the agent and the agent's server span follow, and
// the response headers carry the edge span's traceparent back. Real sockets, a real SDK.
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enableOpenTelemetry } from "../../src/otel.js";
import { startEdge, type EdgeFixture } from "../gateway/edge-fixture.js";
import { ComputeService } from "../gateway/generated/swarm/examples/v1/compute_pb.js";
import { waitFor } from "../helpers/wait-for.js";
import { registerTestSdk, type SpanRecord } from "./sdk.js";

const PROTOCOLS: [name: string, system: string, make: (baseUrl: string) => Transport][] = [
  ["gRPC (HTTP/2)", "grpc", (baseUrl) => createGrpcTransport({ baseUrl })],
  ["gRPC-Web (HTTP/1.1)", "grpc", (baseUrl) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" })],
  ["Connect (HTTP/1.1)", "connect_rpc", (baseUrl) => createConnectTransport({ baseUrl, httpVersion: "1.1" })],
];

describe("trace context at the HTTP edge", () => {
  let sdk: ReturnType<typeof registerTestSdk>;
  let f: EdgeFixture;
  let disable: () => void;
  beforeAll(async () => {
    sdk = registerTestSdk();
    disable = enableOpenTelemetry();
    f = await startEdge();
    await f.agent("worker");
  });
  afterAll(async () => {
    await f.close();
    disable();
    await sdk.shutdown();
  });

  /** The three spans of one call's trace (edge server span, hub → agent client span, agent server span), once ended. */
  async function trace(traceId: string): Promise<{ edge: SpanRecord; hop: SpanRecord; agent: SpanRecord }> {
    const spans = await waitFor(() => sdk.spans().filter((span) => span.traceId === traceId), { what: `3 spans of ${traceId}`, until: (found) => found.length >= 3 });
    const one = (kind: string, agent: string | undefined) => {
      const found = spans.filter((span) => span.kind === kind && span.attributes["swarm.agent"] === agent);
      expect(found, `${kind} span at ${String(agent)}`).toHaveLength(1);
      return found[0]!;
    };
    return { edge: one("server", undefined), hop: one("client", f.hub.localAddress), agent: one("server", "worker") };
  }

  describe.each(PROTOCOLS)("%s", (name, system, make) => {
    it("continues the client's traceparent through the hub to the agent, and answers with the edge span's", async () => {
      const traceId = (name.startsWith("gRPC (") ? "1" : name.startsWith("gRPC-Web") ? "2" : "3").repeat(32);
      const sent = `00-${traceId}-00f067aa0ba902b7-01`;
      let answered: string | null = null;
      const client = createClient(ComputeService, make(f.baseUrl));
      const response = await client.fibonacci({ n: 10 }, { headers: { traceparent: sent, tracestate: "vendor=1" }, onHeader: (headers) => (answered = headers.get("traceparent")) });
      expect(response.value).toBe(55n);
      const { edge, hop, agent } = await trace(traceId);
      expect(edge).toMatchObject({
        kind: "server",
        parentSpanId: "00f067aa0ba902b7",
        name: "swarm.examples.v1.ComputeService/Fibonacci",
        attributes: { "rpc.system": system, "rpc.service": "swarm.examples.v1.ComputeService", "rpc.method": "Fibonacci", "rpc.grpc.status_code": 0 },
      });
      expect(hop).toMatchObject({ parentSpanId: edge.spanId, attributes: { "rpc.system": "swarm", "swarm.peer": "worker", "rpc.grpc.status_code": 0 } });
      expect(agent).toMatchObject({ parentSpanId: hop.spanId, attributes: { "rpc.system": "swarm", "rpc.method": "Fibonacci" } });
      expect(answered).toBe(`00-${traceId}-${edge.spanId}-01`);
      // the agent's handler saw the hop's traceparent, the client's tracestate kept
      const seen = f.observed.metadata.at(-1)!.metadata;
      expect(seen["traceparent"]).toBe(`00-${traceId}-${hop.spanId}-01`);
      expect(seen["tracestate"]).toBe("vendor=1");
    });

    it("a failure's status code on every span; without a traceparent, a new trace the answer names", async () => {
      const client = createClient(ComputeService, make(f.baseUrl));
      const failed = await client.fibonacci({ n: 1 }, { headers: { "x-fail": String(Code.NotFound) } }).then(
        () => undefined,
        (error: unknown) => ConnectError.from(error),
      );
      expect(failed?.code).toBe(Code.NotFound);
      // an error's response headers (gRPC: trailers-only) are the error's metadata
      const answered = failed!.metadata.get("traceparent");
      expect(answered).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const traceId = answered!.split("-")[1]!;
      const { edge, hop, agent } = await trace(traceId);
      expect(edge.parentSpanId).toBeUndefined();
      expect(answered).toBe(`00-${traceId}-${edge.spanId}-01`);
      for (const span of [edge, hop, agent]) expect(span.attributes["rpc.grpc.status_code"], span.kind).toBe(Code.NotFound);
      // NOT_FOUND is the caller's doing: an error on the client span only
      expect([edge.status, hop.status, agent.status]).toEqual([0, 2, 0]);
    });
  });
});
