import { WebSocketTransport } from "../../src/node.js";
import type { Transport } from "../../src/index.js";
import type { ConformanceFactory } from "../transport/conformance.js";

/** Real sockets on 127.0.0.1, port 0: a hub, and one client per address connected through it. */
export const websocketFactory: ConformanceFactory = async (addresses, config) => {
  const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0" }, config);
  const transports: Transport[] = [];
  try {
    for (const agentId of addresses) transports.push(await WebSocketTransport.client({ url: hub.url, agentId }, config));
  } catch (error) {
    await Promise.all(transports.map((t) => t.close()));
    await hub.close();
    throw error;
  }
  return { transports, cleanup: () => hub.close() };
};
