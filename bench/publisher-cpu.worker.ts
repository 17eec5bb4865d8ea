/**
 * The far side of bench/publisher-cpu.ts, in a worker thread: a hub and N subscribing agents.
 * Posts { url } once they are subscribed; answers "count" with the events delivered so far;
 * closes on "close".
 */
import { parentPort, workerData } from "node:worker_threads";
import { createDemux, createPubSub, type Transport } from "../src/index.js";
import { WebSocketTransport } from "../src/node.js";

const { subscribers } = workerData as { subscribers: number };
const config = { heartbeatIntervalMs: 0, enableCompression: false };
const hub = await WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId: "cpu_hub" }, config);
let delivered = 0;
const clients: Transport[] = [];
for (let i = 0; i < subscribers; i++) {
  const client = await WebSocketTransport.client({ url: hub.url, agentId: `sub_${i}` }, config);
  createPubSub(createDemux(client)).subscribe("cpu.>", () => void delivered++, { maxPending: 100_000 });
  clients.push(client);
}
parentPort!.postMessage({ url: hub.url });
parentPort!.on("message", async (message: string) => {
  if (message === "count") return parentPort!.postMessage({ delivered });
  await Promise.all(clients.map((client) => client.close()));
  await hub.close();
  parentPort!.postMessage("closed");
});
