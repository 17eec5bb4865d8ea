// A hub with its HTTP edge (gRPC, gRPC-Web, Connect; health and reflection), /healthz and
// /metrics, and an agent "agent_2" serving the example ComputeService. Run:
// npm run example:gateway [-- 127.0.0.1:8080], then
//   curl -X POST http://127.0.0.1:8080/swarm.examples.v1.ComputeService/Fibonacci \
//        -H 'content-type: application/json' -d '{"n": 42}'
//   grpcurl -plaintext -d '{"n": 42}' 127.0.0.1:8080 swarm.examples.v1.ComputeService/Fibonacci
// Ctrl-C (or SIGTERM) closes everything.
import { fileURLToPath } from "node:url";
import { createDemux, createServer } from "swarm-transport";
import { createHubHttp, WebSocketTransport } from "swarm-transport/node";
import { computeService, ComputeServiceDefinition } from "../src/cli/example-service.js";

const bindAddr = process.argv[2] ?? "127.0.0.1:8080";
const proto = fileURLToPath(new URL("../proto/swarm/examples/v1/compute.proto", import.meta.url));

const hub = await WebSocketTransport.server({
  bindAddr,
  http: createHubHttp({ gateway: { protoFiles: [proto] }, health: true, metrics: true }),
});
const agent = await WebSocketTransport.client({ url: hub.url, agentId: "agent_2" });
createServer(createDemux(agent)).add(ComputeServiceDefinition, computeService);
console.log(`gateway on http://127.0.0.1:${hub.port} (agents: ${hub.agents().join(", ")})`);

const stop = async (): Promise<void> => {
  await agent.close();
  await hub.close();
};
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());
