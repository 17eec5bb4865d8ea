/**
 * Two hubs on a NATS backplane, in a worker thread (the far side of the websocket-nats
 * benchmark): posts { urls } once both have joined; closes both on "close".
 */
import { parentPort, workerData } from "node:worker_threads";
import { WebSocketTransport } from "../src/node.js";

const { natsUrl } = workerData as { natsUrl: string };
const hubs = await Promise.all(
  ["bench_hub_a", "bench_hub_b"].map((hubId) => WebSocketTransport.server({ bindAddr: "127.0.0.1:0", hubId, nats: { servers: natsUrl, heartbeatIntervalMs: 0 } }, { heartbeatIntervalMs: 0 })),
);
parentPort!.postMessage({ urls: hubs.map((hub) => hub.url) });
parentPort!.once("message", async () => {
  await Promise.all(hubs.map((hub) => hub.close()));
  parentPort!.postMessage("closed");
});
