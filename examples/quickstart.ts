// The quickstart (npm run quickstart, from the README): two in-process agents, a request and its response.
// Run: npm run quickstart
import { InProcessTransport, Message, TransportError } from "swarm-transport";

function fibonacci(n: number): number {
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

const [agent1, agent2] = await InProcessTransport.createPair("agent_1", "agent_2", { maxMessageSize: 1024 * 1024 });

// agent_1 asks agent_2 for fib(42)
const request = Message.request("agent_1", "compute_fibonacci", { n: 42 }).withPriority(200);
await agent1.send("agent_2", request);

// agent_2 receives it and answers
const { from, message } = await agent2.receive();
const { n } = message.json<{ n: number }>()!;
console.log(`agent_2 received ${message.payload("request")!.method}(${n}) from ${from}`);
await agent2.send(from, Message.response("agent_2", message.payload("request")!.correlationId, { value: fibonacci(n) }));

// agent_1 gets the response, correlated by id
const reply = await agent1.receive();
console.log(`agent_1 got fib(42) = ${reply.message.json<{ value: number }>()!.value} (correlation id ${reply.message.payload("response")!.correlationId} = request id ${request.id})`);

// errors are typed: switch on `code`
try {
  await agent1.send("agent_3", Message.event("agent_1", "hello"));
} catch (error) {
  if (TransportError.is(error, "InvalidAddress")) console.log(`as expected: ${error.message}`);
  else throw error;
}

console.log("stats of agent_1:", agent1.stats());
await Promise.all([agent1.close(), agent2.close()]);
