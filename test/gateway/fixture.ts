// A hub with the HTTP gateway on 127.0.0.1 port 0, an agent serving the example service, and
// a caller agent for our own typed client; everything real, closed by `close()`.
import { fileURLToPath } from "node:url";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createClient, createDemux, createServer, type CallContext, type Client, type Transport } from "../../src/index.js";
import { createHubHttp, WebSocketTransport, type HubHttp, type HubHttpOptions, type WebSocketHub } from "../../src/node.js";

export const COMPUTE_PROTO = fileURLToPath(new URL("../../proto/swarm/examples/v1/compute.proto", import.meta.url));
export const FIBONACCI = "/swarm.examples.v1.ComputeService/Fibonacci";
export const ECHO = "/swarm.examples.v1.ComputeService/Echo";

export interface GatewayFixture {
  hub: WebSocketHub;
  http: HubHttp;
  /** http://127.0.0.1:<port> of the gateway */
  baseUrl: string;
  /** Our own typed client of agent_2 (through the hub). */
  ours: Client<typeof ComputeServiceDefinition>;
  close(): Promise<void>;
}

/**
 * Agents: "agent_2" serves the example service; "sleepy" serves it with a Fibonacci that
 * answers only when cancelled (for deadlines and in-flight bounds).
 */
export async function startGateway(options: HubHttpOptions = { gateway: { protoFiles: [COMPUTE_PROTO] }, health: true, metrics: true }, agents = true): Promise<GatewayFixture> {
  const http = createHubHttp(options);
  const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", http }, { heartbeatIntervalMs: 0 });
  const transports: Transport[] = [];
  try {
    if (agents) {
      const server = await WebSocketTransport.client({ url: hub.url, agentId: "agent_2" }, { heartbeatIntervalMs: 0 });
      transports.push(server);
      createServer(createDemux(server)).add(ComputeServiceDefinition, computeService);
      const sleepy = await WebSocketTransport.client({ url: hub.url, agentId: "sleepy" }, { heartbeatIntervalMs: 0 });
      transports.push(sleepy);
      createServer(createDemux(sleepy)).add(ComputeServiceDefinition, { ...computeService, fibonacci: untilCancelled });
    }
    const caller = await WebSocketTransport.client({ url: hub.url, agentId: "caller" }, { heartbeatIntervalMs: 0 });
    transports.push(caller);
    const ours = createClient(ComputeServiceDefinition, createDemux(caller), { peer: "agent_2" });
    return {
      hub,
      http,
      baseUrl: `http://127.0.0.1:${http.port}`,
      ours,
      close: async () => {
        await Promise.all(transports.map((t) => t.close()));
        await hub.close();
      },
    };
  } catch (error) {
    await Promise.all(transports.map((t) => t.close()));
    await hub.close();
    throw error;
  }
}

function untilCancelled(_request: unknown, context: CallContext): Promise<{ value: number }> {
  return new Promise((_resolve, reject) => context.signal.addEventListener("abort", () => reject(context.signal.reason), { once: true }));
}

/** POSTs `body` to the gateway; resolves with status, headers and body text. */
export async function post(
  baseUrl: string,
  path: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; bytes: Uint8Array; json: () => unknown }> {
  const response = await fetch(baseUrl + path, {
    method: "POST",
    headers: { "content-type": "application/json", "swarm-to": "agent_2", ...headers },
    body: typeof body === "string" ? body : Buffer.from(body),
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  return { status: response.status, headers: response.headers, text, bytes, json: () => JSON.parse(text) };
}
