import { WebSocketTransport } from "../../src/node.js";
import type { Transport } from "../../src/index.js";
import type { ConformanceFactory } from "../transport/conformance.js";

/** Real sockets on 127.0.0.1, port 0: a hub, and one client per address connected through it (`join` adds one later). */
export const websocketFactory = (async (addresses, config) => {
  const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" }, config);
  const transports: Transport[] = [];
  const join = async (agentId: string) => {
    const transport = await WebSocketTransport.client({ url: hub.url, agentId }, config);
    transports.push(transport);
    return transport;
  };
  try {
    for (const agentId of addresses) await join(agentId);
  } catch (error) {
    await Promise.all(transports.map((t) => t.close()));
    await hub.close();
    throw error;
  }
  return { transports, cleanup: () => hub.close(), join };
}) satisfies ConformanceFactory;
