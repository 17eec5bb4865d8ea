// Span events for a WebSocket client's link: a call in flight when the link drops says so before
// it fails; a call made while reconnecting records each failed attempt, the reconnect and the
// resumed session, then completes.
import { afterEach, beforeAll, afterAll, describe, expect, it } from "vitest";
import { createServer as createTcpServer, type Server } from "node:net";
import { WebSocket } from "ws";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createClient, createDemux, createServer, Status, type CallContext, type LinkChangeEvent, type WebSocketClientTransport } from "../../src/index.js";
import { WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import { enableOpenTelemetry } from "../../src/otel.js";
import type { SocketFactory } from "../../src/transports/websocket/socket.js";
import { until } from "../helpers/wait-for.js";
import { registerTestSdk } from "./sdk.js";

let sdk: ReturnType<typeof registerTestSdk>;
let disableTracing: () => void;
const cleanup: (() => unknown)[] = [];

beforeAll(() => {
  sdk = registerTestSdk();
  disableTracing = enableOpenTelemetry();
});
afterAll(async () => {
  disableTracing();
  await sdk.shutdown();
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** Sockets to the hub while `gate.open`; while shut, to a port that hangs up at once (each reconnect attempt fails). */
async function gatedSockets(): Promise<{ gate: { open: boolean }; createSocket: SocketFactory }> {
  const refuser: Server = createTcpServer((socket) => socket.destroy());
  cleanup.push(() => new Promise((resolve) => refuser.close(resolve)));
  await new Promise<void>((resolve) => refuser.listen(0, "127.0.0.1", resolve));
  const shutUrl = `ws://127.0.0.1:${(refuser.address() as { port: number }).port}`;
  const gate = { open: true };
  const createSocket: SocketFactory = (url) => new WebSocket(gate.open ? url : shutUrl, { perMessageDeflate: false }) as unknown as ReturnType<SocketFactory>;
  return { gate, createSocket };
}

function untilCancelled(_request: unknown, context: CallContext): Promise<{ value: number }> {
  return new Promise((_resolve, reject) => context.signal.addEventListener("abort", () => reject(context.signal.reason), { once: true }));
}

describe("OpenTelemetry span events of a WebSocket client's link", () => {
  it("lost on the call it fails; retries, reconnected and session resumed on a call made meanwhile", async () => {
    const hub: WebSocketHub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" }, { heartbeatIntervalMs: 0 });
    cleanup.push(() => hub.close());
    const callee = await WebSocketTransport.client({ url: hub.url, agentId: "callee" }, { heartbeatIntervalMs: 0 });
    cleanup.push(() => callee.close());
    createServer(createDemux(callee)).add(ComputeServiceDefinition, { ...computeService, fibonacci: (request, ctx) => (request.n === 1 ? untilCancelled(request, ctx) : { value: request.n }) });
    const { gate, createSocket } = await gatedSockets();
    const caller: WebSocketClientTransport = await WebSocketTransport.client(
      { url: hub.url, agentId: "caller", createSocket },
      { heartbeatIntervalMs: 0, retryAttempts: 1000, reconnectBaseDelayMs: 2, reconnectMaxDelayMs: 10 },
    );
    cleanup.push(() => caller.close());
    const changes: LinkChangeEvent[] = [];
    caller.onLinkChange((event) => changes.push(event));
    const client = createClient(ComputeServiceDefinition, createDemux(caller), { peer: "callee" });
    const inFlight = client.fibonacci({ n: 1 });
    await until(() => hub.agentInfo("callee")!.messagesOut >= 1);

    gate.open = false;
    hub.dropConnection("caller");
    await expect(inFlight).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    const meanwhile = client.fibonacci({ n: 2 });
    const retriesBefore = changes.filter((event) => event.state === "retrying").length;
    await until(() => changes.filter((event) => event.state === "retrying").length >= retriesBefore + 2);
    gate.open = true;
    expect(await meanwhile).toEqual({ value: 2 });
    expect(changes.at(-1)).toMatchObject({ state: "regained", resumed: true });

    await until(() => sdk.spans().filter((span) => span.kind === "client").length === 2);
    const [failed, waited] = sdk.spans().filter((span) => span.kind === "client");
    expect(failed).toMatchObject({ status: 2, attributes: { "rpc.grpc.status_code": Status.UNAVAILABLE } });
    expect(failed!.events.map((event) => event.name)).toEqual(["swarm.link.lost"]);
    expect(waited).toMatchObject({ status: 0, attributes: { "rpc.grpc.status_code": 0 } });
    const names = waited!.events.map((event) => event.name);
    expect(names.filter((name) => name === "swarm.reconnect.retry").length).toBeGreaterThanOrEqual(2);
    expect(names.slice(-2)).toEqual(["swarm.reconnected", "swarm.session.resumed"]);
    expect(waited!.events.at(-2)!.attributes).toMatchObject({ "swarm.session.resumed": true });
    expect(waited!.events[0]!.attributes["swarm.reason"]).toMatch(/./);
  });
});
