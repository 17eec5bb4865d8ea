import type { Transport } from "../../src/index.js";
import { WebSocketTransport } from "../../src/node.js";
import { waitFor } from "../helpers/wait-for.js";
import { describeTransportConformance } from "../transport/conformance.js";
import { websocketFactory } from "./websocket-factory.js";

describeTransportConformance("websocket", websocketFactory);

// The same suite with the endpoints spread over two linked hubs: the first two agents on one,
// the others on the other (three-agent tests then cross the link). Two-agent tests stay on one
// hub because a hop between hubs decrements ttl by design, and the suite checks ttl arrives intact.
describeTransportConformance("websocket, two linked hubs", async (addresses, config) => {
  const links = { token: "link-secret" };
  const left = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId: "hub_left", links }, config);
  const right = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId: "hub_right", links }, config);
  const transports: Transport[] = [];
  try {
    await left.link(right.url, links);
    for (const [i, agentId] of addresses.entries()) {
      transports.push(await WebSocketTransport.client({ url: (i < 2 ? left : right).url, agentId }, config));
    }
    const total = addresses.length;
    await waitFor(() => ({ left: left.agents().length + left.remoteAgents().length, right: right.agents().length + right.remoteAgents().length }), {
      until: (known) => known.left === total && known.right === total,
      what: `both hubs to know all ${total} agents`,
    });
  } catch (error) {
    await Promise.all(transports.map((t) => t.close()));
    await Promise.all([left.close(), right.close()]);
    throw error;
  }
  return { transports, cleanup: async () => void (await Promise.all([left.close(), right.close()])) };
});
