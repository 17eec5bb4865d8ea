// One trace across every hop, from exported spans of two threads: an HTTP request at the hub's
// edge → the hub's call to agent "a" over WebSocket → a's call to agent "b" in a worker thread
// over shared memory → b's publish → a's subscription. Each thread has its own OpenTelemetry
// SDK and in-memory exporter; the worker posts what it recorded, and the parents must line up.
import type { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createClient, createDemux, createPubSub, createServer, SharedMemorySegment, SharedMemoryTransport, type ReceivedEvent, type Transport } from "../../src/index.js";
import { createHubHttp, enableAsyncCallContext, spawnSharedMemoryWorker, WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import { enableOpenTelemetry } from "../../src/otel.js";
import { waitFor } from "../helpers/wait-for.js";
import { registerTestSdk, type SpanRecord } from "./sdk.js";

const FIBONACCI = "/swarm.examples.v1.ComputeService/Fibonacci";
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN = "00f067aa0ba902b7";

describe("one trace: HTTP edge → hub → agent a (WebSocket) → agent b (worker, shared memory) → publish → subscriber", () => {
  let sdk: ReturnType<typeof registerTestSdk>;
  const cleanup: (() => unknown)[] = [];
  let hub: WebSocketHub;
  let worker: Worker;
  let baseUrl: string;
  const received: ReceivedEvent[] = [];

  beforeAll(async () => {
    sdk = registerTestSdk("main");
    cleanup.push(enableOpenTelemetry(), enableAsyncCallContext());
    const http = createHubHttp({ gateway: { services: [ComputeServiceDefinition] } });
    hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId: "hub", http }, { heartbeatIntervalMs: 0 });
    cleanup.push(() => hub.close());
    baseUrl = `http://127.0.0.1:${http.port}`;
    // agent a: on the hub over WebSocket, and on a shared-memory segment with b
    const overWebSocket: Transport = await WebSocketTransport.client({ url: hub.url, agentId: "a" }, { heartbeatIntervalMs: 0 });
    cleanup.push(() => overWebSocket.close());
    const segment = SharedMemorySegment.create({ name: "trace-chain", size: 4 * 1024 * 1024, ringBufferSize: 64 * 1024 });
    const overSharedMemory = await SharedMemoryTransport.attach(segment, "a");
    cleanup.push(() => segment.close(), () => overSharedMemory.close());
    const nearB = createDemux(overSharedMemory);
    const subscriber = createPubSub(nearB);
    cleanup.push(() => subscriber.close());
    subscriber.subscribe("b.done", (event) => void received.push(event));
    const toB = createClient(ComputeServiceDefinition, nearB, { peer: "b" });
    // its handler names no parent: enableAsyncCallContext makes the call it serves the parent
    createServer(createDemux(overWebSocket)).add(ComputeServiceDefinition, { ...computeService, fibonacci: (request) => toB.fibonacci(request) });
    worker = spawnSharedMemoryWorker(new URL("./fixtures/traced-worker.mjs", import.meta.url), segment);
    cleanup.push(() => worker.terminate());
    const ready = await new Promise<{ ready: boolean }>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    expect(ready.ready, "b learned a's subscription").toBe(true);
  });

  afterAll(async () => {
    const closed = new Promise((resolve) => worker.once("message", resolve));
    worker.postMessage("close");
    await closed;
    for (const step of cleanup.reverse()) await step();
    await sdk.shutdown();
  });

  /** The worker's finished spans. */
  function workerSpans(): Promise<SpanRecord[]> {
    return new Promise((resolve) => {
      worker.once("message", (message: { spans: SpanRecord[] }) => resolve(message.spans));
      worker.postMessage("spans");
    });
  }

  async function call(n: number, traceparent: string) {
    const response = await fetch(baseUrl + FIBONACCI, {
      method: "POST",
      headers: { "content-type": "application/json", "swarm-to": "a", traceparent, tracestate: "congo=t61rcWkgMzE" },
      body: JSON.stringify({ n }),
    });
    return { status: response.status, traceparent: response.headers.get("traceparent"), body: await response.text() };
  }

  /** Every span of trace `traceId`, from both threads, once `count` have ended. */
  async function traceOf(traceId: string, count: number): Promise<SpanRecord[]> {
    return waitFor(async () => [...sdk.spans(), ...(await workerSpans())].filter((span) => span.traceId === traceId), {
      what: `${count} spans of trace ${traceId}`,
      until: (spans) => spans.length >= count,
    });
  }

  it("a call that succeeds: seven spans, each the child of the hop before, all OK; the edge answers with its traceparent", async () => {
    const response = await call(10, `00-${TRACE_ID}-${CLIENT_SPAN}-01`);
    expect(response).toMatchObject({ status: 200, body: '{"value":55}' });
    await waitFor(() => received.length, { what: "a to receive b.done" });
    const spans = await traceOf(TRACE_ID, 7);
    const find = (kind: string, agent: string) => {
      const found = spans.filter((span) => span.kind === kind && (span.attributes["swarm.agent"] ?? "hub http") === agent);
      expect(found, `one ${kind} span at ${agent}`).toHaveLength(1);
      return found[0]!;
    };
    const edge = find("server", "hub http");
    const hubToA = find("client", "hub");
    const atA = find("server", "a");
    const aToB = find("client", "a");
    const atB = find("server", "b");
    const publish = find("producer", "b");
    const consume = find("consumer", "a");
    expect(edge).toMatchObject({ parentSpanId: CLIENT_SPAN, name: "swarm.examples.v1.ComputeService/Fibonacci", attributes: { "rpc.system": "connect_rpc", "rpc.grpc.status_code": 0 } });
    expect(hubToA).toMatchObject({ parentSpanId: edge.spanId, attributes: { "rpc.system": "swarm", "swarm.peer": "a" } });
    expect(atA).toMatchObject({ parentSpanId: hubToA.spanId, recordedBy: "main", attributes: { "swarm.peer": "hub" } });
    expect(aToB).toMatchObject({ parentSpanId: atA.spanId, attributes: { "swarm.peer": "b" } });
    expect(atB).toMatchObject({ parentSpanId: aToB.spanId, recordedBy: "worker b", attributes: { "swarm.peer": "a", "rpc.method": "Fibonacci" } });
    expect(publish).toMatchObject({ parentSpanId: atB.spanId, recordedBy: "worker b", name: "publish b.done" });
    expect(consume).toMatchObject({ parentSpanId: publish.spanId, recordedBy: "main", name: "process b.done" });
    for (const span of spans) expect(span.status, span.name).not.toBe(2);
    expect(spans.filter((span) => span.kind !== "producer" && span.kind !== "consumer").every((span) => span.attributes["rpc.grpc.status_code"] === 0)).toBe(true);
    // the edge returns the trace, naming its own span
    expect(response.traceparent).toBe(`00-${TRACE_ID}-${edge.spanId}-01`);
  });

  it("a call b refuses: the status travels back through every span of the trace", async () => {
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    const response = await call(1000, `00-${traceId}-b7ad6b7169203331-01`);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ code: "invalid_argument", message: "n must be below 1000, got 1000" });
    const spans = await traceOf(traceId, 5);
    expect(spans.map((span) => [span.kind, span.attributes["rpc.grpc.status_code"]]).sort()).toEqual([
      ["client", 3],
      ["client", 3],
      ["server", 3],
      ["server", 3],
      ["server", 3],
    ]);
    // callers see an error; servers refusing an invalid argument did nothing wrong
    for (const span of spans) expect(span.status, `${span.kind} at ${String(span.attributes["swarm.agent"])}`).toBe(span.kind === "client" ? 2 : 0);
    expect(spans.some((span) => span.kind === "producer")).toBe(false);
  });
});
