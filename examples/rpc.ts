// Typed RPC over the in-process transport: every call kind, a deadline and an error.
// Run: npm run example:rpc
import { createClient, createDemux, createServer, InProcessTransport, RpcError, Status } from "swarm-transport";
import { computeService, ComputeServiceDefinition } from "../src/cli/example-service.js";

const [coordinator, worker] = await InProcessTransport.createPair("coordinator", "worker");

createServer(createDemux(worker)).add(ComputeServiceDefinition, computeService);
const compute = createClient(ComputeServiceDefinition, createDemux(coordinator), { peer: "worker", timeoutMs: 5_000 });

// unary
const { value } = await compute.fibonacci({ n: 42 });
console.log(`fibonacci(42) = ${value}`);

// server streaming
const ticks: number[] = [];
for await (const tick of compute.countTo({ n: 5, delayMs: 0 })) ticks.push(tick.value);
console.log(`countTo(5) -> ${ticks.join(", ")}`);

// client streaming
const sum = await compute.sum([{ value: 1 }, { value: 2 }, { value: 3 }]);
console.log(`sum(1, 2, 3) = ${sum.total} over ${sum.count} messages`);

// bidirectional streaming
for await (const reply of compute.chat([{ text: "hello" }, { text: "swarm" }])) console.log(`chat: ${reply.seq} ${reply.text}`);

// a deadline: countTo with 100 ms between messages cannot finish in 150 ms
try {
  for await (const _ of compute.countTo({ n: 10, delayMs: 100 }, { deadline: 150 })) void _;
} catch (error) {
  if (error instanceof RpcError && error.code === Status.DEADLINE_EXCEEDED) console.log(`as expected: ${error.message}`);
  else throw error;
}

await Promise.all([coordinator.close(), worker.close()]);
