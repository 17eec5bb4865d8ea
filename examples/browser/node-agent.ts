// The Node side of the example: a hub and an agent serving ComputeService through it, which
// also publishes "node.tick" events to interested pages and logs what pages publish.
import { createDemux, createPubSub, createServer, Message, type PubSub, type RpcServer, type WebSocketClientTransport } from "swarm-transport";
import { WebSocketTransport, type WebSocketHub } from "swarm-transport/node";
import { computeService, ComputeServiceDefinition } from "../../src/cli/example-service.js";

/** A Node agent connected to a hub. */
export interface NodeAgent {
  readonly transport: WebSocketClientTransport;
  readonly server: RpcServer;
  readonly bus: PubSub;
  close(): Promise<void>;
}

/** Connects agent `agentId` to `hubUrl`, serving ComputeService; it reconnects when the hub restarts. */
export async function startNodeAgent(hubUrl: string, agentId: string, options: { tickMs?: number } = {}): Promise<NodeAgent> {
  const transport = await WebSocketTransport.client({ url: hubUrl, agentId }, { retryAttempts: 50, reconnectMaxDelayMs: 1000 });
  const demux = createDemux(transport);
  const server = createServer(demux).add(ComputeServiceDefinition, computeService);
  const bus = createPubSub(demux);
  let seq = 0;
  const tick = options.tickMs === undefined ? undefined : setInterval(() => {
    if (bus.hasRemoteInterest("node.tick")) bus.publish(Message.event(agentId, "node.tick", { seq: ++seq, at: new Date().toISOString() })).catch(() => undefined);
  }, options.tickMs);
  return {
    transport,
    server,
    bus,
    async close() {
      if (tick !== undefined) clearInterval(tick);
      await bus.close();
      await server.close();
      await transport.close();
    },
  };
}

/** A hub on `host:port` (port 0 picks one). */
export function startHub(host = "127.0.0.1", port = 0): Promise<WebSocketHub> {
  return WebSocketTransport.server({ bindAddr: `${host}:${port}` });
}
