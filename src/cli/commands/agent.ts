import { ComputeServiceDefinition } from "../../../generated/swarm/examples/v1/compute.js";
import { serveComputeAgent } from "../example-service.js";
import { integer, parseCommand, required } from "../args.js";
import type { Command } from "../command.js";
import { connectAgent, hubFlags } from "../connect.js";

export const agentCommand: Command = {
  name: "agent",
  summary: "connect an agent that serves the example ComputeService",
  usage: `swarm-transport agent --id ID [--hub URL] [--token TOKEN]

Connects to a hub as agent ID and serves swarm.examples.v1.ComputeService (Fibonacci,
CountTo, Sum, Chat, Echo; proto/swarm/examples/v1/compute.proto), the untyped method
"compute_fibonacci" ({"n": 42} -> {"value": ...}), and answers topic requests on
"compute.fibonacci", and publishes progress.<ID> events. Reconnects if the link drops.
Stops on SIGTERM or SIGINT.

  --hub URL              the hub (default ws://127.0.0.1:8080)
  --id ID                this agent's address (required)
  --token TOKEN          bearer token for a hub started with --auth-token
  --connect-timeout MS   connection timeout (default 5000)
  --progress-every N     publish progress.<ID> every N tasks (default 100; 0 never)`,
  async run(argv, io) {
    const { values } = parseCommand("agent", argv, { ...hubFlags, "progress-every": { type: "string" } });
    if (values.help) return io.out(agentCommand.usage);
    const id = required(values.id, "id", "agent");
    const transport = await connectAgent(values.hub, id, { token: values.token, timeoutMs: integer(values["connect-timeout"], "connect-timeout", 5000), retryAttempts: 10 });
    const agent = serveComputeAgent(transport, id, { progressEvery: integer(values["progress-every"], "progress-every", 100) });
    io.out(`agent "${id}" connected to ${values.hub}, serving ${ComputeServiceDefinition.fullName}`);
    await Promise.race([io.untilSignal(), new Promise<void>((resolve) => transport.onPeerGone((event) => event.address === undefined && event.reason === "closed" && resolve()))]);
    await agent.close();
    await transport.close();
  },
};
