// OpenTelemetry spans of calls and events over the in-process transport, with the SDK's
// in-memory exporter: kinds, parents, attributes, status, and the trace headers on the wire.
import { trace } from "@opentelemetry/api";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createClient, createDemux, createPubSub, createServer, InProcessNetwork, Message, RpcError, Status, type CallContext, type ReceivedEvent } from "../../src/index.js";
import { enableAsyncCallContext } from "../../src/node.js";
import { enableOpenTelemetry } from "../../src/otel.js";
import { until } from "../helpers/wait-for.js";
import { registerTestSdk, type SpanRecord } from "./sdk.js";

let sdk: ReturnType<typeof registerTestSdk>;
let disableTracing: () => void;
let cleanups: (() => unknown)[] = [];

beforeAll(() => {
  sdk = registerTestSdk();
  disableTracing = enableOpenTelemetry();
});
afterAll(async () => {
  disableTracing();
  await sdk.shutdown();
});
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
  sdk.reset();
});

function network() {
  const net = new InProcessNetwork();
  cleanups.push(() => net.close());
  return (address: string) => createDemux(net.connect(address));
}

const byName = (spans: SpanRecord[], name: string) => spans.find((span) => span.name === name);

describe("OpenTelemetry spans (in-process)", () => {
  it("a unary call: a client span and a server span in one trace, with the RPC attributes, OK", async () => {
    const connect = network();
    const seen: Record<string, string>[] = [];
    createServer(connect("worker")).add(ComputeServiceDefinition, {
      ...computeService,
      fibonacci(request, ctx) {
        seen.push({ ...ctx.metadata });
        return { value: request.n };
      },
    });
    const client = createClient(ComputeServiceDefinition, connect("caller"), { peer: "worker" });
    await client.fibonacci({ n: 7 });
    await until(() => sdk.spans().length === 2);
    const spans = sdk.spans();
    const server = spans.find((span) => span.kind === "server")!;
    const call = spans.find((span) => span.kind === "client")!;
    expect(call).toMatchObject({
      name: "swarm.examples.v1.ComputeService/Fibonacci",
      parentSpanId: undefined,
      status: 0,
      attributes: { "rpc.system": "swarm", "rpc.service": "swarm.examples.v1.ComputeService", "rpc.method": "Fibonacci", "rpc.grpc.status_code": 0, "swarm.peer": "worker", "swarm.agent": "caller" },
    });
    expect(server).toMatchObject({ name: call.name, traceId: call.traceId, parentSpanId: call.spanId, attributes: { "swarm.peer": "caller", "swarm.agent": "worker", "rpc.grpc.status_code": 0 } });
    // the request carried the client span's W3C traceparent
    expect(seen[0]!["traceparent"]).toBe(`00-${call.traceId}-${call.spanId}-01`);
  });

  it("status: the caller's failure is an error on its span; a server errs only for server-side codes", async () => {
    const connect = network();
    createServer(connect("worker")).add(ComputeServiceDefinition, {
      ...computeService,
      fibonacci(request) {
        if (request.n < 0) throw new RpcError(Status.INVALID_ARGUMENT, "n must not be negative");
        throw new Error("boom");
      },
    });
    const client = createClient(ComputeServiceDefinition, connect("caller"), { peer: "worker" });
    await expect(client.fibonacci({ n: -1 })).rejects.toMatchObject({ code: Status.INVALID_ARGUMENT });
    await expect(client.fibonacci({ n: 1 })).rejects.toMatchObject({ code: Status.UNKNOWN });
    await until(() => sdk.spans().length === 4);
    const [invalidServer, invalidClient, unknownServer, unknownClient] = sdk.spans();
    expect(invalidClient).toMatchObject({ kind: "client", status: 2, statusMessage: "INVALID_ARGUMENT: n must not be negative", attributes: { "rpc.grpc.status_code": 3, "swarm.status": "INVALID_ARGUMENT" } });
    expect(invalidServer).toMatchObject({ kind: "server", status: 0, attributes: { "rpc.grpc.status_code": 3 } });
    expect(unknownClient).toMatchObject({ kind: "client", status: 2, attributes: { "rpc.grpc.status_code": 2 } });
    expect(unknownServer).toMatchObject({ kind: "server", status: 2, statusMessage: "UNKNOWN: boom" });
  });

  it("a deadline: DEADLINE_EXCEEDED on both spans, the server's an error", async () => {
    const connect = network();
    createServer(connect("worker")).add(ComputeServiceDefinition, {
      ...computeService,
      fibonacci: (_request, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))),
    });
    const client = createClient(ComputeServiceDefinition, connect("caller"), { peer: "worker" });
    await expect(client.fibonacci({ n: 1 }, { deadline: 30 })).rejects.toMatchObject({ code: Status.DEADLINE_EXCEEDED });
    await until(() => sdk.spans().length === 2);
    for (const span of sdk.spans()) expect(span).toMatchObject({ status: 2, attributes: { "rpc.grpc.status_code": Status.DEADLINE_EXCEEDED } });
  });

  it("streams: the span ends with the stream, after its last message", async () => {
    const connect = network();
    createServer(connect("worker")).add(ComputeServiceDefinition, computeService);
    const client = createClient(ComputeServiceDefinition, connect("caller"), { peer: "worker" });
    const values: number[] = [];
    for await (const { value } of client.countTo({ n: 3, delayMs: 1 })) values.push(value);
    expect(await client.sum([{ value: 1 }, { value: 2 }])).toEqual({ total: 3, count: 2 });
    expect(values).toEqual([1, 2, 3]);
    await until(() => sdk.spans().length === 4);
    const names = sdk.spans().map((span) => `${span.kind} ${span.name} ${span.attributes["rpc.grpc.status_code"]}`);
    expect(names.sort()).toEqual([
      "client swarm.examples.v1.ComputeService/CountTo 0",
      "client swarm.examples.v1.ComputeService/Sum 0",
      "server swarm.examples.v1.ComputeService/CountTo 0",
      "server swarm.examples.v1.ComputeService/Sum 0",
    ]);
  });

  /** caller → a, whose handler calls b and publishes on "done.<n>"; a subscriber on "done.>" takes it. */
  async function chainThroughA(options: { explicitParent: boolean }) {
    const connect = network();
    const subscriberBus = createPubSub(connect("subscriber"));
    cleanups.push(() => subscriberBus.close());
    const received: ReceivedEvent[] = [];
    subscriberBus.subscribe("done.>", (event) => void received.push(event));
    createServer(connect("b")).add(ComputeServiceDefinition, computeService);
    const aDemux = connect("a");
    const aBus = createPubSub(aDemux);
    cleanups.push(() => aBus.close());
    const toB = createClient(ComputeServiceDefinition, aDemux, { peer: "b" });
    await until(() => aBus.hasRemoteInterest("done.x"));
    createServer(aDemux).add(ComputeServiceDefinition, {
      ...computeService,
      async fibonacci(request, ctx: CallContext) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        const parent = options.explicitParent ? { parent: ctx } : {};
        const { value } = await toB.fibonacci(request, parent);
        await aBus.publish(Message.event("a", `done.${request.n}`, { value }), parent);
        return { value };
      },
    });
    const toA = createClient(ComputeServiceDefinition, connect("caller"), { peer: "a" });
    await toA.fibonacci({ n: 5 });
    await until(() => received.length === 1 && sdk.spans().length === 6);
    return sdk.spans();
  }

  function expectChain(spans: SpanRecord[]) {
    const fib = "swarm.examples.v1.ComputeService/Fibonacci";
    const root = spans.find((span) => span.kind === "client" && span.attributes["swarm.agent"] === "caller")!;
    const atA = spans.find((span) => span.kind === "server" && span.attributes["swarm.agent"] === "a")!;
    const aToB = spans.find((span) => span.kind === "client" && span.attributes["swarm.agent"] === "a")!;
    const atB = spans.find((span) => span.kind === "server" && span.attributes["swarm.agent"] === "b")!;
    const publish = byName(spans, "publish done.5")!;
    const consume = byName(spans, "process done.5")!;
    expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
    expect(root).toMatchObject({ name: fib, parentSpanId: undefined });
    expect(atA.parentSpanId).toBe(root.spanId);
    expect(aToB.parentSpanId).toBe(atA.spanId);
    expect(atB.parentSpanId).toBe(aToB.spanId);
    expect(publish).toMatchObject({ kind: "producer", parentSpanId: atA.spanId, attributes: { "messaging.system": "swarm", "messaging.destination.name": "done.5", "messaging.operation.type": "send", "swarm.agent": "a" } });
    expect(consume).toMatchObject({ kind: "consumer", parentSpanId: publish.spanId, attributes: { "messaging.operation.type": "process", "swarm.peer": "a", "swarm.agent": "subscriber" } });
  }

  it("a handler's calls and publishes continue its trace: with { parent: ctx } (what runs in a browser)", async () => {
    expectChain(await chainThroughA({ explicitParent: true }));
  });

  it("… with enableAsyncCallContext (the parent implicit)", async () => {
    const disable = enableAsyncCallContext();
    cleanups.push(disable);
    expectChain(await chainThroughA({ explicitParent: false }));
  });

  it("… through OpenTelemetry's own active context alone (no call context manager)", async () => {
    expectChain(await chainThroughA({ explicitParent: false }));
  });

  it("a span the handler starts itself sits between its server span and its calls", async () => {
    const connect = network();
    createServer(connect("b")).add(ComputeServiceDefinition, computeService);
    const aDemux = connect("a");
    const toB = createClient(ComputeServiceDefinition, aDemux, { peer: "b" });
    createServer(aDemux).add(ComputeServiceDefinition, {
      ...computeService,
      fibonacci: (request, ctx) => trace.getTracer("test").startActiveSpan("work", (work) => toB.fibonacci(request, { parent: ctx }).finally(() => work.end())),
    });
    await createClient(ComputeServiceDefinition, connect("caller"), { peer: "a" }).fibonacci({ n: 2 });
    await until(() => sdk.spans().length === 5);
    const spans = sdk.spans();
    const work = byName(spans, "work")!;
    const atA = spans.find((span) => span.kind === "server" && span.attributes["swarm.agent"] === "a")!;
    const aToB = spans.find((span) => span.kind === "client" && span.attributes["swarm.agent"] === "a")!;
    expect(work.parentSpanId).toBe(atA.spanId);
    expect(aToB.parentSpanId).toBe(work.spanId);
  });

  it("application code under a span of its own: the call is its child", async () => {
    const connect = network();
    createServer(connect("worker")).add(ComputeServiceDefinition, computeService);
    const client = createClient(ComputeServiceDefinition, connect("caller"), { peer: "worker" });
    await trace.getTracer("test").startActiveSpan("job", async (job) => {
      await client.fibonacci({ n: 1 });
      job.end();
    });
    await until(() => sdk.spans().length === 3);
    const job = byName(sdk.spans(), "job")!;
    expect(sdk.spans().find((span) => span.kind === "client")!.parentSpanId).toBe(job.spanId);
  });

  it("a server continues the traceparent of a caller that traces nothing itself (a raw request from another runtime)", async () => {
    const net = new InProcessNetwork();
    cleanups.push(() => net.close());
    createServer(createDemux(net.connect("worker"))).addMethod("ping", () => "pong");
    const raw = net.connect("raw");
    const request = Message.request("raw", "ping", {}).withHeader("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").withHeader("tracestate", "vendor=x");
    await raw.send("worker", request);
    expect((await raw.receive()).message.json()).toBe("pong");
    await until(() => sdk.spans().length === 1);
    expect(sdk.spans()[0]).toMatchObject({ kind: "server", name: "ping", traceId: "0af7651916cd43dd8448eb211c80319c", parentSpanId: "b7ad6b7169203331" });
  });
});
