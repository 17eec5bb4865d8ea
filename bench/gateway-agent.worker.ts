/** The agent of bench/gateway.bench.ts, in its own worker thread: serves the example service through the hub. */
import { parentPort, workerData } from "node:worker_threads";
import { computeService, ComputeServiceDefinition } from "../src/cli/example-service.js";
import { createDemux, createServer } from "../src/index.js";
import { WebSocketTransport } from "../src/node.js";

const agent = await WebSocketTransport.client({ url: (workerData as { hubUrl: string }).hubUrl, agentId: "agent_2" }, { heartbeatIntervalMs: 0 });
createServer(createDemux(agent)).add(ComputeServiceDefinition, computeService);
parentPort!.postMessage("ready");
parentPort!.once("message", async () => {
  await agent.close();
  parentPort!.postMessage("closed");
});
