import { WebSocketTransport, type WebSocketHub } from "../../src/node.js";
import type { NatsCluster } from "../../src/node/nats-server.js";
import type { Transport } from "../../src/index.js";
import type { ConformanceFactory } from "../transport/conformance.js";
import { freshPrefix } from "./nats.js";
import { waitFor } from "./wait-for.js";

let hubCount = 0;

/** Starts `count` hubs (each with an id of its own) on the cluster's backplane under `prefix`, hub i preferring node i. */
export async function startHubs(cluster: NatsCluster, count: number, prefix: string, config: Record<string, unknown> = {}): Promise<WebSocketHub[]> {
  const urls = cluster.nodes.map((node) => node.url);
  const hubs: WebSocketHub[] = [];
  for (let i = 0; i < count; i++) {
    const servers = [...urls.slice(i % urls.length), ...urls.slice(0, i % urls.length)];
    hubs.push(await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId: `hub_${++hubCount}`, nats: { servers, subjectPrefix: prefix, heartbeatIntervalMs: 1000 } }, config));
  }
  return hubs;
}

/** Resolves once every hub knows all `addresses` (its own agents, or elsewhere on the backplane). */
export async function hubsKnow(hubs: WebSocketHub[], addresses: string[]): Promise<void> {
  await waitFor(() => hubs.map((hub) => addresses.filter((a) => !hub.agents().includes(a) && !hub.remoteAgents().includes(a))), {
    until: (missing) => missing.every((m) => m.length === 0),
    what: `every hub to know agents ${addresses.join(", ")}`,
  });
}

/** The conformance factory through two hubs on a NATS backplane: agents alternate between the hubs. */
export function natsHubsFactory(cluster: () => NatsCluster) {
  return (async (addresses, config) => {
    const hubs = await startHubs(cluster(), 2, freshPrefix(), config);
    const transports: Transport[] = [];
    const known: string[] = [];
    const join = async (agentId: string): Promise<Transport> => {
      const hub = hubs[transports.length % hubs.length]!;
      const transport = await WebSocketTransport.client({ url: hub.url, agentId }, config);
      transports.push(transport);
      known.push(agentId);
      await hubsKnow(hubs, known);
      return transport;
    };
    try {
      for (const agentId of addresses) await join(agentId);
    } catch (error) {
      await Promise.all(transports.map((t) => t.close()));
      await Promise.all(hubs.map((hub) => hub.close()));
      throw error;
    }
    return { transports, cleanup: async () => void (await Promise.all(hubs.map((hub) => hub.close()))), join };
  }) satisfies ConformanceFactory;
}
