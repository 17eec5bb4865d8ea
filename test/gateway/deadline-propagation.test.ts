import { afterEach, describe, expect, it } from "vitest";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createClient, createDemux, createServer, RpcError, Status, type CallContext, type Transport } from "../../src/index.js";
import { createHubHttp, WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import { COMPUTE_PROTO, FIBONACCI, post } from "./fixture.js";
import { until } from "../rpc/rpc-suite.js";

let hub: WebSocketHub | undefined;
const transports: Transport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await hub?.close();
  hub = undefined;
});

/**
 * HTTP → gateway → (hub) → "front", whose Fibonacci calls "back" for the call it serves; "back"
 * records the time it was given and waits until its call ends.
 */
async function start() {
  const http = createHubHttp({ gateway: { protoFiles: [COMPUTE_PROTO] } });
  hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", http }, { heartbeatIntervalMs: 0 });
  const connect = async (agentId: string) => {
    const transport = await WebSocketTransport.client({ url: hub!.url, agentId }, { heartbeatIntervalMs: 0 });
    transports.push(transport);
    return createDemux(transport);
  };
  const atBack: { remaining: number | undefined; signal: AbortSignal }[] = [];
  createServer(await connect("back")).add(ComputeServiceDefinition, {
    ...computeService,
    fibonacci(_request, context: CallContext) {
      atBack.push({ remaining: context.remainingMs(), signal: context.signal });
      return new Promise((_, reject) => context.signal.addEventListener("abort", () => reject(context.signal.reason), { once: true }));
    },
  });
  const logged: string[] = [];
  createServer(await connect("compute"), { logger: { error: (line) => logged.push(line) } }).add(ComputeServiceDefinition, computeService);
  const front = await connect("front");
  const toBack = createClient(ComputeServiceDefinition, front, { peer: "back", timeoutMs: 60_000 });
  createServer(front).add(ComputeServiceDefinition, { ...computeService, fibonacci: (request, context) => toBack.fibonacci(request, { parent: context }) });
  return { baseUrl: `http://127.0.0.1:${http.port}`, atBack, logged };
}

describe("deadlines through the HTTP gateway and the hub", () => {
  it("connect-timeout-ms becomes the agent's deadline, and the calls its handler makes inherit what is left", async () => {
    const { baseUrl, atBack } = await start();
    const response = await post(baseUrl, FIBONACCI, '{"n": 1}', { "swarm-to": "front", "connect-timeout-ms": "300" });
    expect(response.status).toBe(504);
    expect(response.json()).toMatchObject({ code: "deadline_exceeded" });
    await until(() => atBack.length === 1 && atBack[0]!.signal.aborted, 5000);
    expect(atBack[0]!.remaining).toBeGreaterThan(0);
    expect(atBack[0]!.remaining).toBeLessThanOrEqual(300);
    expect((atBack[0]!.signal.reason as RpcError).code).toBe(Status.DEADLINE_EXCEEDED);
  });

  it("a reply the agent cannot encode is a 500 internal at once (not a 504 at the deadline), logged by the agent", async () => {
    const { baseUrl, logged } = await start();
    // Fibonacci(100) overflows the response's uint64; the deadline is a minute away
    const response = await post(baseUrl, FIBONACCI, '{"n": 100}', { "swarm-to": "compute", "connect-timeout-ms": "60000" });
    expect(response.status).toBe(500);
    expect(response.json()).toMatchObject({ code: "internal" });
    expect((response.json() as { message: string }).message).toMatch(/could not be sent: .*too large/);
    expect(logged).toHaveLength(1);
  });
});
