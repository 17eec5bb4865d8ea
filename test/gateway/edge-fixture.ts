// The hub's HTTP edge with real agents behind it, for the gRPC / gRPC-Web / Connect tests: a hub
// on 127.0.0.1 port 0 with the gateway on (HTTP/1.1 and h2c on its port), and agents that serve
// the example ComputeService with handlers that record what they saw (metadata, deadline,
// cancellation) and fail or hang on request. Everything real, closed by `close()`.
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";
import { createDemux, createServer, RpcError, Status, type CallContext, type ServiceImplementation, type Transport } from "../../src/index.js";
import { createHubHttp, WebSocketTransport, type HubHttp, type HubHttpOptions, type WebSocketHub } from "../../src/node.js";
import { waitFor } from "../helpers/wait-for.js";
import { COMPUTE_PROTO } from "./fixture.js";

export const COMPUTE = "swarm.examples.v1.ComputeService";

/** What the agents' handlers saw. */
export interface Observed {
  /** Request metadata of each call, by agent. */
  metadata: { agent: string; method: string; metadata: Readonly<Record<string, string>> }[];
  /** ctx.deadline of each call (ms since the epoch, or undefined) and when the call arrived. */
  deadlines: { method: string; deadline: number | undefined; arrived: number }[];
  /** Calls whose ctx.signal aborted, with the reason's message. */
  aborted: { method: string; reason: string }[];
  /** Messages each CountTo handler produced so far (by request n). */
  produced: Map<number, number>;
}

export interface EdgeFixture {
  hub: WebSocketHub;
  http: HubHttp;
  /** http://127.0.0.1:<port> of the edge (the hub's own port). */
  baseUrl: string;
  port: number;
  observed: Observed;
  /** Connects an agent serving ComputeService (recording), waits until the hub's table lists it. */
  agent(id: string): Promise<Transport>;
  close(): Promise<void>;
}

/**
 * Recording ComputeService handlers. Metadata `x-fail: <code>` fails Fibonacci with that status
 * (and JSON details); `x-hang: 1` makes it wait until cancelled. Echo sends back metadata
 * `x-in` / `x-in-bin` as response headers `x-echo` / `x-echo-bin` and a trailer `x-trailer`.
 */
export function recordingService(agent: string, observed: Observed): ServiceImplementation<typeof ComputeServiceDefinition> {
  const see = (method: string, context: CallContext): void => {
    observed.metadata.push({ agent, method, metadata: context.metadata });
    observed.deadlines.push({ method, deadline: context.deadline, arrived: Date.now() });
    context.signal.addEventListener("abort", () => observed.aborted.push({ method, reason: String((context.signal.reason as Error | undefined)?.message) }), { once: true });
  };
  return {
    ...computeService,
    async fibonacci(request, context) {
      see("Fibonacci", context);
      const fail = context.metadata["x-fail"];
      if (fail !== undefined) throw new RpcError(Number(fail) as Status, `failed on purpose: ü % ${fail}`, { details: { reason: "asked", code: Number(fail) } });
      if (context.metadata["x-hang"] !== undefined) {
        await new Promise((_resolve, reject) => context.signal.addEventListener("abort", () => reject(context.signal.reason), { once: true }));
      }
      return computeService.fibonacci(request, context);
    },
    echo(request, context) {
      see("Echo", context);
      const text = context.metadata["x-in"];
      if (text !== undefined) context.header["x-echo"] = text;
      const bin = context.metadata["x-in-bin"];
      if (bin !== undefined) context.header["x-echo-bin"] = bin;
      context.trailer["x-trailer"] = "done";
      return { payload: request.payload };
    },
    async *countTo(request, context) {
      see("CountTo", context);
      observed.produced.set(request.n, 0);
      for await (const message of computeService.countTo(request, context) as AsyncIterable<{ value: number }>) {
        observed.produced.set(request.n, (observed.produced.get(request.n) ?? 0) + 1);
        yield message;
      }
    },
  };
}

/** A hub with the gateway (the example .proto loaded) and no agents yet. */
export async function startEdge(options: HubHttpOptions = { gateway: { protoFiles: [COMPUTE_PROTO] } }): Promise<EdgeFixture> {
  const http = createHubHttp(options);
  const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", http }, { heartbeatIntervalMs: 0 });
  const transports: Transport[] = [];
  const observed: Observed = { metadata: [], deadlines: [], aborted: [], produced: new Map() };
  return {
    hub,
    http,
    baseUrl: `http://127.0.0.1:${http.port}`,
    port: http.port,
    observed,
    async agent(id) {
      const transport = await WebSocketTransport.client({ url: hub.url, agentId: id }, { heartbeatIntervalMs: 0 });
      transports.push(transport);
      createServer(createDemux(transport)).add(ComputeServiceDefinition, recordingService(id, observed));
      await waitFor(() => hub.services.agents(COMPUTE).includes(id), { what: `the hub to list ${id} as serving ${COMPUTE}` });
      return transport;
    },
    close: async () => {
      await Promise.all(transports.map((t) => t.close()));
      await hub.close();
    },
  };
}
